/**
 * `@sosplice/deno-adapter`: `Deno.Conn` (TCP, TLS, Unix) as a sosplice
 * endpoint that survives EOF and half-close, with a direct dispatch path
 * between two of its conns. SPEC.md section 6.
 */
export { fromDenoConn, type DenoSocket, type DenoSocketInfo, type DenoSocketOptions, type DenoSocketStats } from './socket.js';
export { connect, listen, type DenoConnectOptions, type DenoListenOptions, type DenoSocketListener } from './net.js';
export { denoDirectProvider } from './direct.js';
export type { DenoAddr, DenoConnLike, DenoListenerLike } from './_deno.js';
// Datagram (UDP) endpoints, SPEC.md section 7 (needs --unstable-net).
export { bindDatagram, connectDatagram, DenoDatagramEndpoint, type BindDatagramOptions, type ConnectDatagramOptions, type DatagramAddress } from './datagram.js';
