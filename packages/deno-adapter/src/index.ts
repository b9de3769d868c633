/**
 * `@sosplice/deno-adapter`: `Deno.Conn` (TCP, TLS, Unix) as a sosplice
 * endpoint that survives EOF and half-close, with a direct dispatch path
 * between two of its conns. docs/adapters.md.
 */
export { fromDenoConn, type DenoSocket, type DenoSocketInfo, type DenoSocketOptions, type DenoSocketStats } from './socket.ts';
export { connect, listen, type DenoConnectOptions, type DenoListenOptions, type DenoSocketListener } from './net.ts';
export { denoDirectProvider } from './direct.ts';
export type { DenoAddr, DenoConnLike, DenoListenerLike } from './_deno.ts';
// Datagram (UDP) endpoints, docs/datagrams.md (needs --unstable-net).
export { bindDatagram, connectDatagram, DenoDatagramEndpoint, type BindDatagramOptions, type ConnectDatagramOptions, type DatagramAddress } from './datagram.ts';
