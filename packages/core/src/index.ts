/**
 * `@sosplice/core`: BSD `SO_SPLICE` for WHATWG Web Streams.
 * The contract is docs/contract.md; `types.ts` holds the public types.
 */
export { spliceStreams, spliceBidirectional } from './splice.ts';
export { SpliceTransform, type SpliceTransformOptions } from './transform.ts';
export { SpliceController, type SpliceEvent, type SpliceLimits, type StopReason } from './controller.ts';
export {
  directSplice,
  type DirectDrainLease,
  type DirectEndpointTask,
  type DirectSourceLease,
  type DirectSpliceCapable,
  type DirectSpliceEnd,
  type DirectSpliceEndpoint,
  type DirectSpliceProvider,
  type DirectSpliceRun,
  type DirectSpliceTask,
  type LiveProgress,
  type SpliceControl,
} from './direct.ts';
export { idleClockStats } from './idle-clock.ts';
export { spliceAddresses, type SpliceAddressable, type SpliceAddresses, type SpliceDiagnosticsMessage } from './diagnostics.ts';
export { datagramSplice, markDatagrams, type DatagramCapable, type DatagramMark } from './datagram.ts';
export { byteLease, checkUnshift, type ByteLease, type ByteLendingEndpoint, type UnshiftableEndpoint } from './unshift.ts';
export { readExactly, readUntil, ReadUntilError, type ReadExactlyOptions, type ReadUntilErrorCode, type ReadUntilOptions } from './read-until.ts';
export { byteSink, writeBytes, type ByteSinkEndpoint } from './write-bytes.ts';
export type { SpliceArgumentError, SpliceErrorCode } from './errors.ts';
export type { Splice, SpliceEndpoint, SpliceOptions, SplicePair, SpliceReason, SpliceResult } from './types.ts';
