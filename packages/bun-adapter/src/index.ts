/**
 * `@sosplice/bun-adapter`: Bun sockets (`Bun.connect` / `Bun.listen`; TCP,
 * TLS, Unix) as splice endpoints, with a direct dispatch path between two of
 * them (docs/adapters.md).
 */
export { adopt, connect, listen } from './socket.ts';
export type { AdapterOptions, BunSpliceSocket, SocketInfo } from './socket.ts';
export { bunDirectProvider } from './direct.ts';
export type { BunSocket, BunSocketHandler, BunSocketListener, BunSocketOptions, BunTLSOptions } from './_bun.ts';
export type { CodedError } from './errors.ts';
// Datagram (UDP) endpoints, docs/datagrams.md.
export { bindDatagram, connectDatagram, BunDatagramEndpoint, type BindDatagramOptions, type ConnectDatagramOptions, type DatagramAddress } from './datagram.ts';
