/**
 * The read buffers of a pull-based transport (./pull-transport.ts), and the
 * loans that let a direct splice write a read's own buffer, as a hand-written
 * `read()` / `write()` loop does, without breaking the kit's ownership rule:
 * a `Uint8Array` given to a reader or kept in a side's queue is never
 * written again.
 *
 * - Sizes: a pending read pins its buffer and a pull-based API cannot poll
 *   for readability first, so a socket waits with a small buffer (the idle
 *   size). A read that fills it switches to full-size buffers while data
 *   flows; a read the small one would have held switches back and lets the
 *   big ones go (an idle socket pins only the small one).
 * - Owned chunks (the stream path, a reader): a full buffer goes to the kit
 *   whole and a new one is made for the next read; a short read is copied
 *   out, and the buffer is read into again.
 * - Lent chunks (a direct run whose drain gives buffers back, see
 *   `SocketTransport.returnsLoans`): the chunk is a view of the read buffer,
 *   marked lent until the drain's transport wrote it and called
 *   {@link giveBack}. Two buffers of each size take turns, so the next read
 *   can fill one while the other is being written; a buffer still lent is
 *   never read into. A lent chunk that is kept anywhere else (the source's
 *   queue: a stop, the tail past `max`) is copied there ({@link owned}); a
 *   loan never given back (the drain failed) leaves its buffer to its
 *   holder, and the next read gets a new one.
 */

/** The buffers (`ArrayBuffer`s) lent with a chunk and not given back yet. */
const lent = new WeakSet<ArrayBufferLike>();

/** Whether `chunk` is a view of a buffer lent to a direct run's drain. */
export function isLent(chunk: Uint8Array): boolean {
  return lent.has(chunk.buffer);
}

/** The drain's transport wrote `chunk` (or failed to) and keeps no reference: its buffer may be read into again. */
export function giveBack(chunk: Uint8Array): void {
  lent.delete(chunk.buffer);
}

/** `chunk`, or a copy of it when it is a view of a lent buffer (the loan stays: the rest of the buffer may be on its way). */
export function owned(chunk: Uint8Array): Uint8Array {
  return lent.has(chunk.buffer) ? chunk.slice() : chunk;
}

type Pair = [Uint8Array<ArrayBuffer>?, Uint8Array<ArrayBuffer>?];

export class ReadBuffers {
  readonly #readSize: number;
  readonly #idleSize: number;
  #idle: Pair = [];
  #big: Pair = [];
  #flowing = false;

  constructor(readSize: number, idleSize: number) {
    this.#readSize = readSize;
    this.#idleSize = Math.min(idleSize, readSize);
  }

  /** The buffer for the next read: of the size the traffic calls for, never one still lent. */
  next(): Uint8Array<ArrayBuffer> {
    const pair = this.#flowing ? this.#big : this.#idle;
    const size = this.#flowing ? this.#readSize : this.#idleSize;
    for (let i = 0; i < 2; i++) {
      const buffer = pair[i];
      if (buffer === undefined) return (pair[i] = new Uint8Array(size));
      if (!lent.has(buffer.buffer)) return buffer;
    }
    // Both lent (a loan its drain never gave back, a stop, a failure): that one is its holder's now.
    return (pair[0] = new Uint8Array(size));
  }

  /**
   * The chunk of a read of `n` bytes into `buffer` (from {@link next}):
   * lent (`lend`: a view, read into again once given back) or owned by its
   * receiver (the buffer whole, or a copy of a short read). Then picks the
   * size of the next read.
   */
  chunk(buffer: Uint8Array<ArrayBuffer>, n: number, lend: boolean): Uint8Array {
    const full = n === buffer.byteLength;
    let chunk: Uint8Array;
    if (lend) {
      lent.add(buffer.buffer);
      chunk = full ? buffer : buffer.subarray(0, n);
    } else if (full) {
      // The receiver keeps the buffer: the next read gets a new one.
      const pair = this.#flowing ? this.#big : this.#idle;
      if (pair[0] === buffer) pair[0] = undefined;
      else if (pair[1] === buffer) pair[1] = undefined;
      chunk = buffer;
    } else {
      chunk = buffer.slice(0, n);
    }
    if (!this.#flowing && full) this.#flowing = this.#readSize > this.#idleSize;
    else if (this.#flowing && n < this.#idleSize) {
      this.#flowing = false;
      this.#big = [];
    }
    return chunk;
  }
}
