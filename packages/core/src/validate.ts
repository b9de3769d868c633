/**
 * Argument validation (docs/contract.md#starting-a-splice): synchronous, complete before any
 * lock is taken, so a throw leaves nothing locked.
 *
 * Streams are recognised by shape, not `instanceof`, so that streams from
 * another implementation (web-streams-polyfill, another realm) splice too.
 */
import { assertDatagramDrain } from './datagram.ts';
import { invalidArgType, outOfRange, spliceBusy } from './errors.ts';
import type { SpliceOptions } from './types.ts';

/** Options after validation, with defaults applied. */
export interface NormalizedOptions {
  readonly max: number;
  readonly idle: number;
  readonly signal: AbortSignal | undefined;
  readonly preventClose: boolean;
  readonly preventAbort: boolean;
  readonly preventCancel: boolean;
  readonly linked: boolean;
}

const isObject = (value: unknown): value is Record<PropertyKey, unknown> =>
  (typeof value === 'object' && value !== null) || typeof value === 'function';

export function isReadableStream(value: unknown): value is ReadableStream<Uint8Array> {
  return isObject(value) && typeof value.getReader === 'function' && typeof value.cancel === 'function' && hasLockedFlag(value);
}

export function isWritableStream(value: unknown): value is WritableStream<Uint8Array> {
  return isObject(value) && typeof value.getWriter === 'function' && typeof value.abort === 'function' && hasLockedFlag(value);
}

/**
 * `locked` is a boolean. Its getter checks the brand, so an object that only
 * inherits a stream prototype (`Object.create(ReadableStream.prototype)`)
 * throws there: that is "not a stream", reported as such (issue 16).
 */
function hasLockedFlag(value: Record<PropertyKey, unknown>): boolean {
  try {
    return typeof value.locked === 'boolean';
  } catch {
    return false;
  }
}

function isAbortSignal(value: unknown): value is AbortSignal {
  return isObject(value) && typeof value.aborted === 'boolean' && typeof value.addEventListener === 'function' && typeof value.removeEventListener === 'function';
}

export function validateReadable(value: unknown, name: string): ReadableStream<Uint8Array> {
  if (!isReadableStream(value)) throw invalidArgType(name, 'a ReadableStream', value);
  return value;
}

export function validateWritable(value: unknown, name: string): WritableStream<Uint8Array> {
  if (!isWritableStream(value)) throw invalidArgType(name, 'a WritableStream', value);
  assertDatagramDrain(value, name); // docs/datagrams.md: a datagram drain needs its peer
  return value;
}

/** Throws `ERR_SPLICE_BUSY` if `stream` is locked. */
export function assertUnlocked(stream: ReadableStream<Uint8Array> | WritableStream<Uint8Array>, name: string): void {
  if (stream.locked) throw spliceBusy(name);
}

export function validateOptions(options: unknown, name = 'options'): NormalizedOptions {
  if (options === undefined) return DEFAULTS;
  if (!isObject(options)) throw invalidArgType(name, 'an object', options);
  const { max, idle, signal, preventClose, preventAbort, preventCancel, linked } = options as SpliceOptions;
  if (max !== undefined) {
    if (typeof max !== 'number') throw invalidArgType(`${name}.max`, 'of type number', max);
    if (!Number.isSafeInteger(max) || max < 0) {
      throw outOfRange(`${name}.max`, `an integer >= 0 and <= ${Number.MAX_SAFE_INTEGER}`, max);
    }
  }
  if (idle !== undefined) {
    if (typeof idle !== 'number') throw invalidArgType(`${name}.idle`, 'of type number', idle);
    if (Number.isNaN(idle) || idle < 0) throw outOfRange(`${name}.idle`, '>= 0', idle);
  }
  if (signal !== undefined && !isAbortSignal(signal)) throw invalidArgType(`${name}.signal`, 'an AbortSignal', signal);
  // A boolean, not any truthy value: `linked: 'false'` must not link (docs/contract.md#linked-pairs).
  if (linked !== undefined && typeof linked !== 'boolean') throw invalidArgType(`${name}.linked`, 'of type boolean', linked);
  return {
    max: max ?? 0,
    // Infinity means "never", the same as 0.
    idle: idle === undefined || idle === Number.POSITIVE_INFINITY ? 0 : idle,
    signal,
    preventClose: Boolean(preventClose),
    preventAbort: Boolean(preventAbort),
    preventCancel: Boolean(preventCancel),
    linked: linked === true,
  };
}

const DEFAULTS: NormalizedOptions = Object.freeze({
  max: 0,
  idle: 0,
  signal: undefined,
  preventClose: false,
  preventAbort: false,
  preventCancel: false,
  linked: false,
});
