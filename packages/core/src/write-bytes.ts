/**
 * `writeBytes()`: writes bytes to an endpoint, the cheap way when the
 * endpoint takes them without its writable stream (docs/contract.md#header-then-splice).
 * What a gateway does twice per request: a writer per write, or a
 * `WritableStream` write at all, costs more than the write itself.
 */
import { invalidArgType, spliceBusy } from './errors.ts';

/**
 * The key under which an endpoint may take bytes without its writable
 * stream: `endpoint[byteSink](bytes)` hands them to the runtime after
 * everything written before and resolves once it took them (rejecting with
 * the socket's error), or returns `undefined` when the side is taken or its
 * stream still holds chunks (then the stream is written). Every adapter
 * socket has it.
 */
export const byteSink: unique symbol = Symbol.for('sosplice.byteSink') as never;

/** An endpoint that takes bytes without its stream (see {@link byteSink}). */
export interface ByteSinkEndpoint {
  readonly writable: WritableStream<Uint8Array>;
  [byteSink]?(bytes: Uint8Array): Promise<void> | undefined;
}

/**
 * Writes `bytes` to `endpoint` and resolves once its runtime took them, as
 * `writable.getWriter().write(bytes)` would, after everything written
 * before; the endpoint keeps `bytes` until they are sent (do not reuse the
 * buffer). An adapter socket takes them without its stream; any other
 * endpoint's writable is locked only while this runs. Rejects with
 * `ERR_SPLICE_BUSY` while the writable is spliced or held by a writer, and
 * with the socket's error once it failed or was closed.
 */
export function writeBytes(endpoint: ByteSinkEndpoint, bytes: Uint8Array): Promise<void> {
  if (typeof endpoint !== 'object' || endpoint === null) return Promise.reject(invalidArgType('endpoint', 'an endpoint with a writable', endpoint));
  if (!(bytes instanceof Uint8Array)) return Promise.reject(invalidArgType('bytes', 'a Uint8Array', bytes));
  const sink = endpoint[byteSink];
  const sent = typeof sink === 'function' ? sink.call(endpoint, bytes) : undefined;
  if (sent !== undefined) return sent;
  const writable = endpoint.writable;
  if (typeof writable?.getWriter !== 'function') return Promise.reject(invalidArgType('endpoint', 'an endpoint with a writable', endpoint));
  if (writable.locked) return Promise.reject(spliceBusy('writable'));
  return writeOnce(writable, bytes);
}

async function writeOnce(writable: WritableStream<Uint8Array>, bytes: Uint8Array): Promise<void> {
  const writer = writable.getWriter();
  try {
    await writer.write(bytes);
  } finally {
    writer.releaseLock();
  }
}
