/**
 * A FIFO of byte chunks, counted in bytes: what a socket endpoint received
 * and did not hand on yet, and what it took back (the tail of a chunk past a
 * splice's `max`, bytes a released reader left queued, `unshift()`).
 * Chunks are kept as given (no copy), except a view of a lent read buffer
 * in a queue that must own its bytes (./read-buffers.ts); an empty chunk is
 * not kept.
 */
import { owned } from './read-buffers.ts';

export class ByteQueue {
  #chunks: Uint8Array[] = [];
  /** Bytes queued. */
  size = 0;
  /** Copies a lent chunk: what it holds may go to a reader, whose bytes are never written again. */
  readonly #owns: boolean;

  constructor(owns = false) {
    this.#owns = owns;
  }

  /** Appends bytes at the back. */
  push(bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    if (this.#owns) bytes = owned(bytes);
    this.#chunks.push(bytes);
    this.size += bytes.byteLength;
  }

  /** Puts bytes back at the front: they are taken next. */
  unshift(bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    if (this.#owns) bytes = owned(bytes);
    this.#chunks.unshift(bytes);
    this.size += bytes.byteLength;
  }

  /** Removes and returns the first chunk, whole; `undefined` when empty. */
  shift(): Uint8Array | undefined {
    const chunk = this.#chunks.shift();
    if (chunk !== undefined) this.size -= chunk.byteLength;
    return chunk;
  }

  /** Removes up to `max` bytes from the front without copying (a view of the first chunk); `undefined` when empty. */
  take(max: number): Uint8Array | undefined {
    const head = this.#chunks[0];
    if (head === undefined) return undefined;
    if (head.byteLength <= max) {
      this.#chunks.shift();
      this.size -= head.byteLength;
      return head;
    }
    this.#chunks[0] = head.subarray(max);
    this.size -= max;
    return head.subarray(0, max);
  }

  /** Copies up to `view.byteLength` bytes from the front into `view`; returns how many. */
  takeInto(view: Uint8Array): number {
    let n = 0;
    while (n < view.byteLength && this.size > 0) {
      const chunk = this.take(view.byteLength - n)!;
      view.set(chunk, n);
      n += chunk.byteLength;
    }
    return n;
  }

  /** Drops everything (the socket failed or was cancelled). */
  clear(): void {
    this.#chunks = [];
    this.size = 0;
  }
}
