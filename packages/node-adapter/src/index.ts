/**
 * `@sosplice/node-adapter`: Node sockets (`net.Socket` over TCP IPv4/IPv6
 * or Unix, and `tls.TLSSocket`) as sosplice endpoints, with a direct
 * dispatch path between two of them (docs/adapters.md).
 */
export { fromNodeSocket, connect, type NodeConnectOptions } from './socket.ts';
export { nodeDirectProvider } from './direct.ts';
export { SocketClosedError } from './errors.ts';
export type { NodeSocketInfo, NodeSocketOptions, NodeSpliceSocket } from './types.ts';
// Datagram (UDP) endpoints, docs/datagrams.md.
export { bindDatagram, connectDatagram, NodeDatagramEndpoint, type BindDatagramOptions, type ConnectDatagramOptions, type DatagramAddress } from './datagram.ts';
