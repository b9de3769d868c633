/**
 * `@sosplice/node-adapter`: Node sockets (`net.Socket` over TCP IPv4/IPv6
 * or Unix, and `tls.TLSSocket`) as sosplice endpoints, with a direct
 * dispatch path between two of them (SPEC.md section 6).
 */
export { fromNodeSocket, connect, type NodeConnectOptions } from './socket.js';
export { nodeDirectProvider } from './direct.js';
export { SocketClosedError } from './errors.js';
export type { NodeSocketInfo, NodeSocketOptions, NodeSpliceSocket } from './types.js';
// Datagram (UDP) endpoints, SPEC.md section 7.
export { bindDatagram, connectDatagram, NodeDatagramEndpoint, type BindDatagramOptions, type ConnectDatagramOptions, type DatagramAddress } from './datagram.js';
