/**
 * Direct dispatch between two conns of this adapter (docs/adapters.md): a
 * `conn.read()` / `conn.write()` loop over one reused buffer, with no Web
 * Streams in the hot path. The core keeps the locks, the count, `max`,
 * `idle` and the ending policy (`@sosplice/core`, `direct.ts`); this file
 * only moves bytes, in this order:
 *
 * 1. whatever the application wrote to the drain before the splice (a
 *    zero-length write through the core's writer is the barrier);
 * 2. bytes a reader abandoned in the source's own stream queue;
 * 3. bytes in the adapter's buffer (a previous run's read that returned
 *    after its unsplice);
 * 4. live reads, never asking for more than `control.remaining` (exact max).
 *
 * Buffers: a pending `conn.read()` pins its buffer for as long as the peer
 * stays quiet, and Deno cannot poll for readability first, so a run reads
 * into a small buffer (`WAIT_SIZE`) until a read fills it, then into a full
 * `bufferSize` one while traffic flows, and drops back to the small one (and
 * lets the big one go) after a read the small one would have held. An idle
 * splice so pins a few KiB per direction, not 64; a burst after a pause costs
 * one extra read.
 *
 * Counting: bytes are counted when handed to the drain, that is when
 * `conn.write()` is called for them (docs/contract.md#counting: "handed to the writable").
 * A stop never waits for that write: like bytes in a BSD send buffer, they
 * reach the peer before anything written afterwards (`writeAll` serialises).
 */
import type { DirectSpliceEnd, DirectSpliceProvider, DirectSpliceRun, DirectSpliceTask } from '@sosplice/core';
import { type ReadOwner, STOLEN, type Transport } from './runtime.ts';

const EMPTY = new Uint8Array(0);

/**
 * The buffer a run reads into while its source is quiet. A read that fills
 * it means bytes are coming faster than that, and the run switches to its
 * full-size buffer; a read shorter than this switches back.
 */
const WAIT_SIZE = 2048;

/** What this adapter puts under `directSplice` on its streams. */
export class DenoSpliceEnd implements DirectSpliceEnd {
  readonly provider: DirectSpliceProvider = denoDirectProvider;
  /** @internal */
  readonly state: Transport;
  /** @internal size of the run's read buffer while data flows */
  readonly bufferSize: number;

  constructor(state: Transport, bufferSize: number) {
    this.state = state;
    this.bufferSize = bufferSize;
  }
}

/** The provider shared by every conn this module adapts. */
export const denoDirectProvider: DirectSpliceProvider = {
  splice(task: DirectSpliceTask): DirectSpliceRun | undefined {
    const { source, drain } = task;
    if (!(source instanceof DenoSpliceEnd) || !(drain instanceof DenoSpliceEnd)) return undefined;
    // A dead conn, or a drain closing: the stream path reports the streams'
    // own errors (a direct write after closeWrite() would be counted, then lost).
    if (source.state.destroyed || source.state.closing || drain.state.destroyed || drain.state.closing || drain.state.writeEnding) return undefined;
    const run = new DirectRun(source.state, drain.state, task, source.bufferSize);
    run.start();
    return run;
  },
};

class DirectRun implements DirectSpliceRun, ReadOwner {
  stopped = false;
  readonly #src: Transport;
  readonly #dst: Transport;
  readonly #task: DirectSpliceTask;
  readonly #bufferSize: number;
  #unlisten: Array<() => void> = [];
  /** Moving the stream's queue into the buffer: a stop waits for it (microtasks only). */
  #transfer: Promise<void> | undefined;

  constructor(src: Transport, dst: Transport, task: DirectSpliceTask, bufferSize: number) {
    this.#src = src;
    this.#dst = dst;
    this.#task = task;
    this.#bufferSize = bufferSize;
  }

  start(): void {
    const { control } = this.#task;
    // A conn that fails or is destroyed while we wait on the other one
    // still ends the splice (docs/contract.md#how-a-splice-ends: no hang on a reset of either side).
    this.#unlisten.push(
      this.#src.onFailure((error) => this.#report(() => control.sourceErrored(error))),
      this.#dst.onFailure((error) => this.#report(() => control.drainErrored(error))),
    );
    this.#loop().catch((error: unknown) => this.#report(() => control.sourceErrored(error)));
  }

  stop(): void | Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      for (const unlisten of this.#unlisten) unlisten();
      this.#unlisten = [];
    }
    return this.#transfer;
  }

  #report(report: () => void): void {
    if (!this.stopped) report();
  }

  async #loop(): Promise<void> {
    const { writer, reader, control } = this.#task;
    const src = this.#src;
    const dst = this.#dst;
    if (dst.queued > 0) {
      // Bytes written through the writable before the splice go out first.
      try {
        await writer.write(EMPTY);
      } catch (error) {
        this.#report(() => control.drainErrored(error));
        return;
      }
    }
    // The drain is written, maybe not read: see its peer's reset anyway.
    dst.watch();
    // A pull a reader abandoned may still be reading: its bytes go to the stream's queue.
    if (src.reading || src.pulling !== undefined) await src.readIdle();
    if (this.stopped) return;
    if (src.failure !== undefined) return control.sourceErrored(src.failure.error);
    if (dst.failure !== undefined) return control.drainErrored(dst.failure.error);
    if (src.streamQueued > 0) {
      this.#transfer = this.#takeStreamQueue(reader);
      await this.#transfer;
      this.#transfer = undefined;
    }
    const small = new Uint8Array(Math.min(WAIT_SIZE, this.#bufferSize));
    let big: Uint8Array<ArrayBuffer> | undefined;
    let buf: Uint8Array<ArrayBuffer> = small;
    for (;;) {
      if (this.stopped) return;
      const remaining = control.remaining;
      let chunk: Uint8Array;
      if (src.pending.size > 0) {
        chunk = src.pending.take(Math.min(remaining, this.#bufferSize));
      } else if (src.eof) {
        return control.sourceEnded();
      } else {
        let n: number | null | typeof STOLEN;
        try {
          // Exact max: never ask the kernel for more than the budget.
          n = await src.read(remaining < buf.byteLength ? buf.subarray(0, remaining) : buf, this);
        } catch (error) {
          return this.#report(() => control.sourceErrored(error));
        }
        if (n === STOLEN) return;
        if (this.stopped) {
          // Stopped between the read's return and here: the bytes were not
          // handed on, so they go back to the source, ahead of anything later.
          if (n !== null) src.pending.unshift(buf.slice(0, n));
          return;
        }
        if (n === null) {
          if (src.destroyed) return; // destroyed meanwhile: its listener reported it
          return control.sourceEnded();
        }
        chunk = n === buf.byteLength ? buf : buf.subarray(0, n);
        // The next read's buffer (this chunk stays valid: it is written
        // before the next read starts).
        if (n === buf.byteLength) {
          if (buf === small && small.byteLength < this.#bufferSize) buf = big ??= new Uint8Array(this.#bufferSize);
        } else if (n < small.byteLength && buf !== small) {
          buf = small;
          big = undefined;
        }
      }
      // Count, then hand over, in one synchronous step: a stop that the count
      // (max) or the write call itself triggers still finds these bytes both
      // counted and on their way to the drain.
      control.count(chunk.byteLength);
      const written = dst.writeAll(chunk);
      try {
        await written;
      } catch (error) {
        return this.#report(() => control.drainErrored(error));
      }
    }
  }

  /**
   * Bytes a reader abandoned sit in the stream's own queue, ahead of the
   * buffer. Move them all to the buffer's front in one go, so that a stop in
   * between cannot leave them out of order (docs/contract.md#flow-and-memory: no reordering).
   */
  async #takeStreamQueue(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    const taken: Uint8Array[] = [];
    // With bytes queued, read() is served from the queue without a pull.
    while (this.#src.streamQueued > 0) {
      const { value, done } = await reader.read();
      if (done || value === undefined) break;
      taken.push(value);
    }
    for (let i = taken.length - 1; i >= 0; i--) this.#src.pending.unshift(taken[i]!);
  }
}
