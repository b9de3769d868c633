/**
 * Header-then-splice (docs/contract.md#header-then-splice): an endpoint's `unshift(bytes)` puts bytes
 * back at the front of its readable, so an application can read a head,
 * give back what it read past it, and splice the rest (the next read or
 * splice takes those bytes first, and a splice counts them).
 *
 * The adapters implement `unshift` on their own buffers; this file holds the
 * part they share: the contract's checks, done the same way everywhere.
 */
import { invalidArgType, spliceBusy } from './errors.ts';

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

/**
 * The key under which an endpoint may lend its received bytes without its
 * readable stream: `readUntil()` and `readExactly()` then read through a
 * {@link ByteLease}, with no stream created, locked or read per head (what
 * a gateway does once per request). Every adapter socket has it; without
 * it, or when it is refused, they read `readable`.
 */
export const byteLease: unique symbol = Symbol.for('sosplice.byteLease') as never;

/**
 * The read side of an endpoint, lent to one reader. While it is held the
 * side is taken as if its readable were locked: a splice from it throws
 * `ERR_SPLICE_BUSY`, `unshift()` too, and a readable created meanwhile is
 * locked.
 */
export interface ByteLease {
  /**
   * The next bytes received, front first (the caller owns them); `null` at
   * EOF; `undefined` when none are there yet (then await `wait()`). Throws
   * the error the side failed with.
   */
  take(): Uint8Array | null | undefined;
  /** Resolves once `take()` may have something new: bytes, EOF or an error. */
  wait(): Promise<void>;
  /** Ends the lease, putting `rest` (owned by the side from now) back in front. Called once. */
  release(rest?: Uint8Array): void;
}

/** An endpoint that lends its bytes (see {@link byteLease}). */
export interface ByteLendingEndpoint {
  /** A lease, or `undefined` when the side is taken or its readable must be read first. */
  [byteLease]?(): ByteLease | undefined;
}
