/** An `Error` with a stable `code`, the way Node and Bun report socket errors. */
export interface CodedError extends Error {
  readonly code: string;
}

/** Builds an `Error` with `code` and, when wrapping, `cause`. */
export function codedError(code: string, message: string, cause?: unknown): CodedError {
  const error = new Error(message, cause === undefined ? undefined : { cause }) as Error & { code: string };
  error.code = code;
  return error;
}

/** The error a write side reports once the socket is gone without an error of its own. */
export function socketClosedError(): CodedError {
  return codedError('ERR_SOCKET_CLOSED', 'The socket is closed');
}

/**
 * Bun's `write()` returns -1 once the kernel failed a write (the peer reset
 * or closed the connection) and then reports a plain `end` and `close`
 * without the errno. This is the error Node reports in that case.
 */
export function writeEpipeError(): CodedError {
  return Object.assign(codedError('EPIPE', 'write EPIPE: the peer closed or reset the connection'), { errno: -32, syscall: 'write' });
}

/** Renders a received value for an error message, worded as `@sosplice/core` words them. */
function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return `function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') {
    const tag = Object.prototype.toString.call(value).slice(8, -1);
    const name = (value as object).constructor?.name;
    // Bun's native objects (Listener, TCPSocket) have `Object` as constructor: the tag names them.
    const shown = name && name !== 'Object' ? name : tag !== 'Object' ? tag : undefined;
    return shown ? `an instance of ${shown}` : 'an object';
  }
  if (typeof value === 'string') return `type string ('${value.length > 28 ? `${value.slice(0, 25)}...` : value}')`;
  return `type ${typeof value} (${String(value)})`;
}

/** `name` should be `expected`, and `value` was received instead (docs/contract.md#starting-a-splice). */
export function invalidArgType(name: string, expected: string, value: unknown): TypeError & { readonly code: 'ERR_INVALID_ARG_TYPE' } {
  const error = new TypeError(`The "${name}" argument must be ${expected}. Received ${describeValue(value)}`);
  return Object.assign(error, { code: 'ERR_INVALID_ARG_TYPE' as const });
}
