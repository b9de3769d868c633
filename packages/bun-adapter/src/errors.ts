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
