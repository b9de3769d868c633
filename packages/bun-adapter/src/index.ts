/**
 * `@sosplice/bun-adapter`: Bun sockets (`Bun.connect` / `Bun.listen`; TCP,
 * TLS, Unix) as splice endpoints, with a direct dispatch path between two of
 * them (SPEC.md section 6).
 */
export { adopt, connect, listen } from './socket.js';
export type { AdapterOptions, BunSpliceSocket, SocketInfo } from './socket.js';
export { bunDirectProvider } from './direct.js';
export type { BunSocket, BunSocketHandler, BunSocketListener, BunSocketOptions, BunTLSOptions } from './_bun.js';
export type { CodedError } from './errors.js';
// Datagram (UDP) endpoints, SPEC.md section 7.
export { bindDatagram, connectDatagram, BunDatagramEndpoint, type BindDatagramOptions, type ConnectDatagramOptions, type DatagramAddress } from './datagram.js';
