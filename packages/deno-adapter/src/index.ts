/**
 * `@sosplice/deno-adapter`: `Deno.Conn` (TCP, TLS, Unix) as a sosplice
 * endpoint that survives EOF and half-close, with a direct dispatch path
 * between two of its conns. The same shape as the Node and Bun adapters:
 * docs/adapters.md#one-shape.
 */
export { wrap } from './socket.ts';
export { connect, listen } from './net.ts';
export { SocketClosedError } from '@sosplice/core/socket';
export type { ConnectOptions, ListenOptions, SocketInfo, SpliceListener, SpliceSocket, SpliceSocketOptions } from '@sosplice/core/socket';
export { denoDirectProvider } from './direct.ts';
export type { DenoAddr, DenoConnectTlsOptions, DenoConnLike, DenoListenerLike, DenoListenTlsOptions } from './runtime.ts';
// Datagram (UDP) endpoints, docs/datagrams.md (needs --unstable-net).
export { bindDatagram, connectDatagram, DenoDatagramEndpoint, type BindDatagramOptions, type ConnectDatagramOptions, type DatagramAddress } from './datagram.ts';
