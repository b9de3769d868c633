/**
 * Header-then-splice (SPEC.md 6): an endpoint's `unshift(bytes)` puts bytes
 * back at the front of its readable, so an application can read a head,
 * give back what it read past it, and splice the rest (the next read or
 * splice takes those bytes first, and a splice counts them).
 *
 * The adapters implement `unshift` on their own buffers; this file holds the
 * part they share: the contract's checks, done the same way everywhere.
 */
import { invalidArgType, spliceBusy } from './errors.js';

/** An endpoint whose readable takes bytes back: every adapter socket. */
export interface UnshiftableEndpoint {
  readonly readable: ReadableStream<Uint8Array>;
  /**
   * Puts `bytes` back at the front of `readable`: the next read, or the next
   * splice from it, takes them first. Throws `ERR_SPLICE_BUSY` while the
   * readable is spliced or locked by a reader.
   */
  unshift(bytes: Uint8Array): void;
}

/**
 * For adapters: checks an `unshift(bytes)` call and returns a copy the
 * adapter may keep (the caller may reuse its buffer; `enqueue()` would
 * detach a shared one). `streamQueued` is what the readable's own queue
 * holds: bytes a partial (BYOB) read left there come before anything the
 * adapter holds, and nothing can be put in front of them synchronously, so
 * such a call is refused until they are read.
 */
export function checkUnshift(readable: ReadableStream<Uint8Array>, bytes: unknown, streamQueued: number): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw invalidArgType('bytes', 'a Uint8Array', bytes);
  if (readable.locked) throw spliceBusy('readable');
  if (streamQueued > 0) {
    const error = spliceBusy('readable');
    error.message = `unshift(): the readable still holds ${streamQueued} bytes a partial read left in its queue; read them before giving bytes back`;
    throw error;
  }
  return bytes.slice();
}
