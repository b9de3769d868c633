/**
 * `@sosplice/core/datagram`: the runtime-free half of the adapters' datagram
 * (UDP) endpoints (docs/datagrams.md). A subpath of its own so that a browser bundle
 * of `@sosplice/core`, which has no UDP, does not carry it; the datagram
 * rules of the splice itself (the mark) are in the main entry.
 */
export { DatagramEndpoint, type DatagramQueueOptions, type DatagramTransport } from './datagram-endpoint.ts';
export { datagramDirectProvider } from './datagram-direct.ts';
export { connectOptions, notConnected, type BindDatagramOptions, type ConnectDatagramOptions, type DatagramAddress } from './datagram-options.ts';
