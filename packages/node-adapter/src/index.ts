/**
 * `@sosplice/node-adapter`: Node sockets (`net.Socket` over TCP IPv4/IPv6
 * or Unix, and `tls.TLSSocket`) as sosplice endpoints, with a direct
 * dispatch path between two of them (docs/adapters.md). The same exports,
 * with the same meaning, as the Bun and Deno adapters.
 */
export { wrap } from './socket.ts';
export { connect, listen } from './net.ts';
export { SocketClosedError } from '@sosplice/core/socket';
export type { ConnectOptions, ListenOptions, SocketInfo, SpliceListener, SpliceSocket, SpliceSocketOptions } from '@sosplice/core/socket';
export { nodeDirectProvider } from './direct.ts';
// Datagram (UDP) endpoints, docs/datagrams.md.
export { bindDatagram, connectDatagram, NodeDatagramEndpoint, type BindDatagramOptions, type ConnectDatagramOptions, type DatagramAddress } from './datagram.ts';
