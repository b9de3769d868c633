/**
 * `@sosplice/bun-adapter`: Bun sockets (`Bun.connect` / `Bun.listen`; TCP,
 * TLS, Unix) as splice endpoints, with a direct dispatch path between two of
 * them (docs/adapters.md). The same shape as the Node and Deno adapters.
 */
export { wrap } from './socket.ts';
export { connect, listen, type BunListenOptions } from './net.ts';
export { SocketClosedError } from '@sosplice/core/socket';
export type { ConnectOptions, ListenOptions, SocketInfo, SpliceListener, SpliceSocket, SpliceSocketOptions } from '@sosplice/core/socket';
export type { BunSocket, BunTLSOptions } from './runtime.ts';
export { bunDirectProvider } from './direct.ts';
// Datagram (UDP) endpoints, docs/datagrams.md.
export { bindDatagram, connectDatagram, BunDatagramEndpoint, type BindDatagramOptions, type ConnectDatagramOptions, type DatagramAddress } from './datagram.ts';
