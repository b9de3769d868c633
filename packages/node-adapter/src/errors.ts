/**
 * Errors of the adapter: real Error subclasses with a stable `code`
 * (STYLE.md). Runtime errors (ECONNRESET, EPIPE, ...) are passed through
 * untouched, as docs/adapters.md asks.
 */

/** Raised when a socket is closed underneath a stream that was still open. */
export class SocketClosedError extends Error {
  override readonly name = 'SocketClosedError';
  readonly code = 'ERR_SOCKET_CLOSED';
  constructor(message = 'The socket was closed', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A `TypeError` with a Node-style `code`, naming the argument and the value received. */
export function invalidArg(name: string, expected: string, value: unknown): TypeError {
  const error = new TypeError(`The "${name}" argument must be ${expected}. Received ${describe(value)}`);
  (error as TypeError & { code: string }).code = 'ERR_INVALID_ARG_TYPE';
  return error;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object' || typeof value === 'function') {
    const name = (value as { constructor?: { name?: string } }).constructor?.name;
    return name ? `an instance of ${name}` : typeof value;
  }
  return `${typeof value} (${String(value)})`;
}
