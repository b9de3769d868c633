/**
 * `@sosplice/core`: BSD `SO_SPLICE` for WHATWG Web Streams.
 * The contract is SPEC.md; `types.ts` holds the public types.
 */
export { spliceStreams, spliceBidirectional } from './splice.js';
export { SpliceTransform, type SpliceTransformOptions } from './transform.js';
export { SpliceController, type SpliceEvent, type SpliceLimits, type StopReason } from './controller.js';
export {
  directSplice,
  type DirectSpliceCapable,
  type DirectSpliceEnd,
  type DirectSpliceProvider,
  type DirectSpliceRun,
  type DirectSpliceTask,
  type SpliceControl,
} from './direct.js';
export { idleClockStats } from './idle-clock.js';
export { datagramSplice, markDatagrams, type DatagramCapable, type DatagramMark } from './datagram.js';
export { checkUnshift, type UnshiftableEndpoint } from './unshift.js';
export { readUntil, ReadUntilError, type ReadUntilErrorCode, type ReadUntilOptions } from './read-until.js';
export type { SpliceArgumentError, SpliceErrorCode } from './errors.js';
export type { Splice, SpliceEndpoint, SpliceOptions, SplicePair, SpliceReason, SpliceResult } from './types.js';
