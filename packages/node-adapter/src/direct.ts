/**
 * Direct dispatch between two sockets of this adapter (docs/adapters.md
 * the core's `directSplice` extension point in packages/core/src/direct.ts).
 *
 * Bytes go from the source socket's `'data'` callback straight into
 * `drain.write()`, with `pause()` / `'drain'` / `resume()` backpressure, as
 * `socket.pipe()` does: no Web Streams, no promise per chunk. The core keeps
 * counting, `max`, `idle`, `unsplice` and the ending policy; this file only
 * moves bytes and keeps them exact:
 * - first what a released reader left in the readable's own queue, then the
 *   adapter's buffer, then live `'data'` (docs/contract.md#starting-a-splice: queued data first);
 * - never more than `control.remaining`: a chunk straddling `max` is split
 *   and its tail put back at the front of the source (docs/contract.md#max);
 * - after whatever was written through the drain's writable before the
 *   splice, and before whatever is written after it (same `socket.write`).
 */
import type { DirectSpliceEnd, DirectSpliceProvider, DirectSpliceRun, DirectSpliceTask, SpliceControl } from '@sosplice/core';
import { kernelRun } from './kernel.ts';
import type { ReadConsumer, ReadSide } from './readable.ts';
import type { WriteSide, WriteWatcher } from './writable.ts';

const EMPTY = new Uint8Array(0);

const readSides = new WeakMap<DirectSpliceEnd, ReadSide>();
const writeSides = new WeakMap<DirectSpliceEnd, WriteSide>();

/** The one provider of this adapter: ends are paired by identity with it. */
export const nodeDirectProvider: DirectSpliceProvider = {
  splice(task: DirectSpliceTask): DirectSpliceRun | undefined {
    const source = readSides.get(task.source);
    const drain = writeSides.get(task.drain);
    if (source === undefined || drain === undefined) return undefined;
    // docs/contract.md#the-kernel-path: the kernel path when both sockets have a kernel fd and it is enabled.
    return kernelRun(source, drain, task, () => new DirectRun(source, drain, task)) ?? new DirectRun(source, drain, task);
  },
};

/** The mark for a readable (`readable[directSplice]`). */
export function readEnd(side: ReadSide): DirectSpliceEnd {
  const end: DirectSpliceEnd = { provider: nodeDirectProvider };
  readSides.set(end, side);
  return end;
}

/** The mark for a writable (`writable[directSplice]`). */
export function writeEnd(side: WriteSide): DirectSpliceEnd {
  const end: DirectSpliceEnd = { provider: nodeDirectProvider };
  writeSides.set(end, side);
  return end;
}

class DirectRun implements DirectSpliceRun, ReadConsumer, WriteWatcher {
  #stopped = false;
  /** Waiting for the drain socket's `'drain'`. */
  #blocked = false;
  readonly #control: SpliceControl;

  constructor(
    readonly source: ReadSide,
    readonly drain: WriteSide,
    readonly task: DirectSpliceTask,
  ) {
    this.#control = task.control;
    // Never report anything synchronously from splice(): the core has no run yet.
    queueMicrotask(() => void this.#start());
  }

  async #start(): Promise<void> {
    // Stopped before the first microtask: the core released both locks already.
    if (this.#stopped) return;
    const { writer, reader } = this.task;
    // Order with earlier writes (docs/contract.md#flow-and-memory): chunks still in the writable's
    // queue reach the socket before any spliced byte.
    if (writer.desiredSize !== this.drain.highWaterMark) {
      try {
        await writer.write(EMPTY);
      } catch (error) {
        if (!this.#stopped) this.#control.drainErrored(error);
        return;
      }
      if (this.#stopped) return;
    }
    this.drain.watch(this);
    if (!this.drain.writable) return this.#drainUnusable();
    // One listener for the whole run, as pipe() does: no once() per full buffer.
    this.drain.transport.on('drain', this.#onDrain);
    await this.source.reclaim(reader);
    if (this.#stopped) return;
    if (this.source.phase === 'errored') return this.#control.sourceErrored(this.source.transport.closedError());
    this.source.attach(this);
    this.#flush();
  }

  /** Sends what the source holds, then lets live data flow. */
  #flush(): void {
    while (!this.#stopped && !this.#blocked) {
      const chunk = this.source.shift();
      if (chunk === undefined) break;
      this.data(chunk);
    }
    if (this.#stopped || this.#blocked) return;
    if (this.source.phase === 'ended' || this.source.phase === 'closed') return this.end();
    this.source.resume();
  }

  /** One chunk from the source: to the drain, within the budget. */
  data(chunk: Uint8Array): void {
    if (this.#stopped) {
      this.source.unshift(chunk);
      return;
    }
    const remaining = this.#control.remaining;
    if (chunk.byteLength > remaining) {
      // docs/contract.md#max: the tail stays in the source for the next reader.
      this.source.pause();
      this.source.unshift(chunk.subarray(remaining));
      chunk = chunk.subarray(0, remaining);
    }
    if (!this.drain.writable) {
      this.source.unshift(chunk);
      this.source.pause();
      return this.#drainUnusable();
    }
    this.#send(chunk);
  }

  /**
   * Counts the chunk, then hands it to the drain, in one synchronous step
   * (docs/contract.md#counting: counted when handed to the writable). Counting first means
   * a stop fired by the count (max) or from inside `socket.write()` (an
   * abort listener) finds these bytes counted already; the chunk is written
   * even then, since a counted byte must reach the drain.
   */
  #send(chunk: Uint8Array): void {
    this.#control.count(chunk.byteLength);
    const room = this.drain.transport.write(chunk);
    // Stopped meanwhile: the readable owns the source's flow again (stop()).
    if (room || this.#stopped) return;
    this.#blocked = true;
    this.source.pause();
  }

  /** Reports the drain's failure; if it is still on its way (destroyed this tick), `watch` reports it. */
  #drainUnusable(): void {
    if (!this.drain.failurePending) this.#control.drainErrored(this.drain.transport.closedError());
  }

  #onDrain = (): void => {
    if (!this.#blocked || this.#stopped) return;
    this.#blocked = false;
    this.#flush();
  };

  end(): void {
    if (!this.#stopped) this.#control.sourceEnded();
  }

  error(error: unknown): void {
    if (this.#stopped) return;
    // The same socket may be both ends (an echo): report the side that failed first.
    if (this.source.phase === 'errored') this.#control.sourceErrored(error);
    else this.#control.drainErrored(error);
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.drain.transport.off('drain', this.#onDrain);
    this.drain.watch(undefined);
    // Gives live 'data' back to the readable, which resumes or pauses the
    // socket by its own buffer (docs/contract.md#how-a-splice-ends: released, open, usable).
    this.source.attach(undefined);
  }
}
