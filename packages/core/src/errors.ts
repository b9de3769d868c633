/**
 * Errors thrown by argument validation (docs/contract.md#starting-a-splice). Each is a plain
 * `TypeError` / `RangeError` with a stable `code`, the way Node reports
 * `ERR_INVALID_ARG_TYPE`, so callers can branch on `code` on every runtime.
 */

/** Codes of the errors sosplice throws. */
export type SpliceErrorCode = 'ERR_INVALID_ARG_TYPE' | 'ERR_OUT_OF_RANGE' | 'ERR_SPLICE_BUSY' | 'ERR_INVALID_STATE' | 'ERR_DATAGRAM_NOT_CONNECTED';

/** A `TypeError` or `RangeError` carrying a `code`. */
export type SpliceArgumentError = (TypeError | RangeError) & { readonly code: SpliceErrorCode };

/** Renders a received value for an error message: type and a short value. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return `function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name;
    // Runtime objects (Bun's Listener, TCPSocket) have `Object` as constructor: their tag names them.
    const tag = Object.prototype.toString.call(value).slice(8, -1);
    const shown = name && name !== 'Object' ? name : tag !== 'Object' ? tag : undefined;
    return shown ? `an instance of ${shown}` : 'an object';
  }
  if (typeof value === 'string') return `type string ('${value.length > 28 ? `${value.slice(0, 25)}...` : value}')`;
  return `type ${typeof value} (${String(value)})`;
}

function withCode<E extends Error>(error: E, code: SpliceErrorCode): E & { code: SpliceErrorCode } {
  Object.defineProperty(error, 'code', { value: code, enumerable: true, configurable: true, writable: true });
  return error as E & { code: SpliceErrorCode };
}

/** `name` should be `expected`, and `value` was received instead. */
export function invalidArgType(name: string, expected: string, value: unknown): SpliceArgumentError {
  return withCode(new TypeError(`The "${name}" argument must be ${expected}. Received ${describeValue(value)}`), 'ERR_INVALID_ARG_TYPE');
}

/** `name` is of the right type but outside `range`. */
export function outOfRange(name: string, range: string, value: unknown): SpliceArgumentError {
  return withCode(new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${String(value)}`), 'ERR_OUT_OF_RANGE');
}

/** `name` is locked: spliced already, or held by a reader or writer (BSD: EBUSY). */
export function spliceBusy(name: string): SpliceArgumentError {
  return withCode(new TypeError(`The "${name}" argument is locked (already spliced, or held by a reader or writer)`), 'ERR_SPLICE_BUSY');
}

/**
 * The writable is closed, or closing, so it can take no chunk: the ending
 * error of a splice into it (`pipeTo` rejects with a `TypeError` here too).
 */
export function drainClosed(cause?: unknown): TypeError & { code: SpliceErrorCode } {
  const message = 'The "writable" argument is closed or closing: it can take no more chunks';
  return withCode(cause === undefined ? new TypeError(message) : new TypeError(message, { cause }), 'ERR_INVALID_STATE');
}

/** A datagram drain with no peer to send to (docs/datagrams.md; BSD: ENOTCONN). */
export function datagramNotConnected(name: string): SpliceArgumentError {
  return withCode(new TypeError(`The "${name}" argument is a datagram endpoint with no peer: connect it before splicing into it`), 'ERR_DATAGRAM_NOT_CONNECTED');
}
