/**
 * `@sosplice/core/socket`: the kit adapters build their socket endpoints on
 * (docs/adapters.md): the one public shape, its errors and option checks,
 * and the runtime-free pieces of a socket endpoint. No runtime imports; for
 * third-party adapter authors as much as for ours.
 */
export type { ConnectOptions, ListenOptions, SocketAddressOptions, SocketInfo, SpliceListener, SpliceSocket, SpliceSocketOptions } from './types.ts';
export { SocketClosedError, socketAlreadyClosed, socketWrapped, wrongRuntime, type SocketErrorCode } from './errors.ts';
export { DEFAULT_HIGH_WATER_MARK, DEFAULT_LINGER_MS, formatAddress, socketSettings, socketTarget, type SocketSettings, type SocketTarget } from './options.ts';
export { SocketListener } from './listener.ts';
export { invalidArgType } from '../errors.ts';
export { ByteQueue } from './byte-queue.ts';
export type { SocketTransport } from './transport.ts';
export { SocketReadSide, type ReadConsumer, type ReadPhase } from './read-side.ts';
export { SocketWriteSide, type DrainWatcher, type WritePhase } from './write-side.ts';
export { SocketDirectRun, SocketEndpointMark, createSocketDirectProvider, type SocketDirectHook, type SocketHandover } from './direct-run.ts';
export { SocketEndpoint } from './endpoint.ts';
export { PullTransport, type PullSocket, type PullTransportOptions } from './pull-transport.ts';
