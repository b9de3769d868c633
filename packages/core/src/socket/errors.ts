/**
 * The errors every adapter throws the same way (docs/adapters.md#one-shape):
 * one class and code for a closed socket, one code for a socket already
 * wrapped, one for the wrong runtime.
 */
import { describeValue } from '../errors.ts';

/** The codes an adapter's socket errors carry. */
export type SocketErrorCode = 'ERR_SOCKET_CLOSED' | 'ERR_SOCKET_WRAPPED' | 'ERR_RUNTIME_NOT_SUPPORTED';

/** The socket is closed: wrapping it, writing to it or unshifting into it is refused. */
export class SocketClosedError extends Error {
  readonly code = 'ERR_SOCKET_CLOSED';
  constructor(message = 'The socket is closed', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SocketClosedError';
  }
}

function coded<E extends Error>(error: E, code: SocketErrorCode): E & { readonly code: SocketErrorCode } {
  Object.defineProperty(error, 'code', { value: code, enumerable: true, configurable: true, writable: true });
  return error as E & { code: SocketErrorCode };
}

/** `wrap()` was given a runtime socket that is wrapped already (its reads are taken). */
export function socketWrapped(name: string, value: unknown): TypeError & { readonly code: SocketErrorCode } {
  return coded(new TypeError(`The "${name}" argument is already wrapped (${describeValue(value)}): wrap each runtime socket once and share the result`), 'ERR_SOCKET_WRAPPED');
}

/** `wrap()` was given a runtime socket that is closed or destroyed already. */
export function socketAlreadyClosed(name: string): SocketClosedError {
  return new SocketClosedError(`The "${name}" argument is closed: only an open or connecting socket can be wrapped`);
}

/** An adapter was loaded on a runtime it does not serve (the Bun adapter under Node, say). */
export function wrongRuntime(adapter: string, needs: string): Error & { readonly code: SocketErrorCode } {
  return coded(new Error(`${adapter} needs ${needs}; use the adapter of the runtime you run on`), 'ERR_RUNTIME_NOT_SUPPORTED');
}
