/**
 * The stream path's account of the chunks it hands to the writable, so that
 * an error ending counts only bytes handed over for good (issue 16):
 * - a chunk a closing writable refuses never entered its queue: it is not
 *   counted and goes back to the application as `remainder`;
 * - when the splice aborts the writable after a source error, the abort
 *   discards the chunks queued behind the one the sink is writing: only the
 *   bytes the sink accepted, and that one, count.
 *
 * Writes to one writable settle in order, so the chunks whose writes have
 * not settled are a FIFO whose head is the chunk the sink is writing now.
 * Bookkeeping is one array slot and one reaction per chunk, on the promise
 * `write()` returns anyway.
 */
const noop = (): void => {};

export class WriteLedger {
  /** Chunks the writable refused, in order. */
  refused: Uint8Array[] | undefined;
  readonly #unsettled: (Uint8Array | undefined)[] = [];
  #head = 0;
  #accepted = 0;
  /** Bytes counted when handed over and refused afterwards. */
  #refusedLate = 0;
  /** The last write's promise, settled or not. */
  #last: Promise<void> | undefined;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #holdsWriter: () => boolean;
  readonly #onRefused: (error: unknown) => void;

  /**
   * `holdsWriter`: whether the splice still holds `writer` (a settlement
   * after it let go says nothing about the splice). `onRefused`: the
   * writable refused a chunk; the splice must end.
   */
  constructor(writer: WritableStreamDefaultWriter<Uint8Array>, holdsWriter: () => boolean, onRefused: (error: unknown) => void) {
    this.#writer = writer;
    this.#holdsWriter = holdsWriter;
    this.#onRefused = onRefused;
  }

  /**
   * Writes `chunk`. Returns false if the writable refused it at once (then
   * `chunk` is in `refused` and nothing is to be counted).
   */
  write(chunk: Uint8Array): boolean {
    let written: Promise<void>;
    try {
      written = this.#writer.write(chunk);
    } catch (error) {
      // Node throws (ERR_INTERNAL_ASSERTION) instead of rejecting while the
      // writable's close is in flight: a refusal like the others.
      this.#refuse(chunk, error);
      return false;
    }
    this.#unsettled.push(chunk);
    this.#last = written;
    written.then(this.#onWritten, this.#onWriteFailed);
    return true;
  }

  /**
   * The bytes an error ending counts, out of `handed` handed over: all but
   * the refused ones, or, when the splice aborts the writable, those its
   * sink accepted plus the one it is writing.
   */
  delivered(handed: number, aborting: boolean): number {
    return aborting ? this.#accepted + (this.#unsettled[this.#head]?.byteLength ?? 0) : handed - this.#refusedLate;
  }

  /** Bytes of the chunks whose writes settled successfully (the sink took them). */
  get accepted(): number {
    return this.#accepted;
  }

  /**
   * Once every write handed over has settled (`undefined`: they have). A
   * closed or closing drain refuses a write a reaction after it was handed
   * over: the splice waits for that before it ends, so such a chunk is not
   * counted and comes back as `remainder`.
   */
  settling(): Promise<void> | undefined {
    return this.#head < this.#unsettled.length ? this.#last!.then(noop, noop) : undefined;
  }

  /** The refused chunks, then `taken` (a chunk read and not handed over), as one remainder. */
  undelivered(taken: Uint8Array | undefined): Uint8Array | undefined {
    const refused = this.refused;
    if (refused === undefined) return taken;
    return concatBytes(taken === undefined ? refused : [...refused, taken]);
  }

  #settleOldest(): Uint8Array {
    const unsettled = this.#unsettled;
    const chunk = unsettled[this.#head]!;
    unsettled[this.#head++] = undefined;
    if (this.#head === unsettled.length) unsettled.length = this.#head = 0;
    else if (this.#head >= 1024 && this.#head * 2 >= unsettled.length) {
      // Writes always outstanding: drop the settled prefix now and then.
      unsettled.splice(0, this.#head);
      this.#head = 0;
    }
    return chunk;
  }

  readonly #onWritten = (): void => {
    this.#accepted += this.#settleOldest().byteLength;
  };

  readonly #onWriteFailed = (error: unknown): void => {
    const chunk = this.#settleOldest();
    // Refused while the writable is not errored (desiredSize is a number):
    // it was closing, and the chunk never entered its queue. Otherwise the
    // writable failed, which the splice learns from `writer.closed`.
    if (this.#holdsWriter() && this.#writer.desiredSize !== null) {
      this.#refusedLate += chunk.byteLength;
      this.#refuse(chunk, error);
    }
  };

  #refuse(chunk: Uint8Array, error: unknown): void {
    (this.refused ??= []).push(chunk);
    this.#onRefused(error);
  }
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}
