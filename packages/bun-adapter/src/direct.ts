/**
 * Direct dispatch between two sockets of this adapter (docs/adapters.md
 * `packages/core/src/direct.ts`): the source's `data` handler writes straight
 * into the drain socket, and `pause()` / `resume()` on `drain` are the
 * backpressure, as in a hand-written Bun proxy. The core keeps counting,
 * `max`, `idle`, unsplice and the close/abort/cancel policy; this only moves
 * bytes, in order: the drain's queued writes first, then the source's stream
 * queue, then its `inbox`, then live data.
 */
import type { DirectSpliceEnd, DirectSpliceProvider, DirectSpliceRun, DirectSpliceTask, SpliceControl } from '@sosplice/core';
import type { Route } from './readable.ts';
import type { DrainOwner, SocketState } from './runtime.ts';
import { kernelRun } from './kernel.ts';

/** What the adapter puts under `directSplice` on its streams. */
export interface BunDirectEnd extends DirectSpliceEnd {
  readonly state: SocketState;
}

const EMPTY = new Uint8Array(0);

class DirectRun implements DirectSpliceRun, Route, DrainOwner {
  private readonly src: SocketState;
  private readonly dst: SocketState;
  private readonly control: SpliceControl;
  private readonly task: DirectSpliceTask;
  /** The prelude is done: `inbox` may be empty and data may go straight through. */
  private live = false;
  private stopped = false;
  private finished = false;
  private inFlight: Promise<unknown> | undefined = undefined;

  constructor(src: SocketState, dst: SocketState, task: DirectSpliceTask) {
    this.src = src;
    this.dst = dst;
    this.task = task;
    this.control = task.control;
  }

  start(): void {
    this.src.route = this;
    this.dst.drainOwner = this;
    this.src.updateFlow();
    // Not inside provider.splice(): the core learns of the run from its return
    // value, so a count() or an ending reported before that would be lost.
    queueMicrotask(() => void this.prelude());
  }

  /** Bytes queued before the splice go first: the drain's, then the source's stream queue. */
  private async prelude(): Promise<void> {
    const { reader, writer } = this.task;
    if (this.stopped) return;
    try {
      // Writes still in the drain's WritableStream queue reach the socket before ours.
      if (writer.desiredSize !== this.dst.highWaterMark) await writer.write(EMPTY);
    } catch (error) {
      return this.fail('drain', error);
    }
    try {
      // Bytes a reader abandoned sit in the stream's own queue (highWaterMark 0).
      while (!this.stopped && !this.finished && -(this.src.rc?.desiredSize ?? 0) > 0) {
        const read = reader.read();
        this.inFlight = read;
        const { value, done } = await read;
        this.inFlight = undefined;
        if (done) break;
        if (this.stopped) {
          this.src.unshift(value);
          return;
        }
        this.deliver(value);
      }
    } catch (error) {
      this.inFlight = undefined;
      return this.fail('source', error);
    }
    if (this.stopped || this.finished) return;
    this.live = true;
    this.pump();
  }

  /** Forwards `inbox` while the drain takes it; then lets live data through. */
  private pump(): void {
    const src = this.src;
    while (!this.stopped && !this.finished && src.inboxBytes > 0 && this.dst.outboxBytes === 0 && this.control.remaining > 0) {
      this.deliver(src.shift()!);
    }
    if (this.stopped || this.finished) return;
    if (src.inboxBytes === 0) {
      if (src.readFailed) return this.fail('source', src.readError);
      if (src.readEnded) return this.end();
    }
    src.updateFlow();
  }

  /** Hands `chunk` to the drain, never past the budget; the tail goes back to the source. */
  private deliver(chunk: Uint8Array): void {
    const remaining = this.control.remaining;
    if (chunk.byteLength > remaining) {
      this.src.unshift(chunk.subarray(remaining));
      chunk = chunk.subarray(0, remaining);
    }
    const n = chunk.byteLength;
    if (n === 0) return;
    try {
      this.dst.assertWritable();
    } catch (error) {
      // A drain known to be gone is refused before counting: the bytes stay in
      // the source (preventCancel leaves it readable).
      this.src.unshift(chunk);
      return this.fail('drain', error);
    }
    // Count, then hand over, in one synchronous step: a stop triggered by the
    // count (max) or from inside socket.write() (an abort) still finds these
    // bytes counted and on their way to the drain. So they go out even when
    // the count stopped this run.
    this.control.count(n);
    this.handOver(chunk);
  }

  /** Writes a counted chunk into the drain; a full drain pauses the source while this run lasts. */
  private handOver(chunk: Uint8Array): void {
    let all: boolean;
    try {
      all = this.dst.send(chunk);
    } catch (error) {
      // Bun's write() said -1: the connection was lost under a counted chunk,
      // as a stream write rejecting after it was handed over.
      return this.fail('drain', error);
    }
    // After a stop the source is the stream's again: stop() set its flow.
    if (!all && !this.stopped) this.src.pause();
  }

  // --- Route (source side) ---

  onData(chunk: Uint8Array): void {
    if (this.live && !this.finished && this.dst.outboxBytes === 0 && this.src.inboxBytes === 0) return this.deliver(chunk);
    this.src.push(chunk);
    this.src.updateFlow();
  }

  onEnd(): void {
    if (this.live && this.src.inboxBytes === 0) this.end();
  }

  onError(error: unknown): void {
    this.fail('source', error);
  }

  wantsData(): boolean {
    if (this.stopped || this.finished) return false;
    return this.live ? this.dst.outboxBytes === 0 : this.src.inboxBytes < this.src.highWaterMark;
  }

  // --- DrainOwner ---

  onOutboxEmpty(): void {
    if (this.live && !this.stopped && !this.finished) this.pump();
  }

  onDrainError(error: unknown): void {
    this.fail('drain', error);
  }

  // --- endings ---

  private end(): void {
    if (this.finished || this.stopped) return;
    this.finished = true;
    this.control.sourceEnded();
  }

  private fail(side: 'source' | 'drain', error: unknown): void {
    if (this.finished || this.stopped) return;
    this.finished = true;
    if (side === 'source') this.control.sourceErrored(error);
    else this.control.drainErrored(error);
  }

  stop(): Promise<void> | void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.src.route === this) this.src.route = undefined;
    if (this.dst.drainOwner === this) this.dst.drainOwner = undefined;
    // Back to the stream: inbox feeds pull() again; reads resume up to the high-water mark.
    this.src.updateFlow();
    // A read of already-queued bytes settles at once; its bytes go back to the source.
    const inFlight = this.inFlight;
    if (inFlight !== undefined) return inFlight.then(
      () => undefined,
      () => undefined,
    );
  }
}

/** The provider shared by every socket of this adapter (compared by identity in the core). */
export const bunDirectProvider: DirectSpliceProvider = {
  splice(task: DirectSpliceTask): DirectSpliceRun | undefined {
    const src = (task.source as BunDirectEnd).state;
    const dst = (task.drain as BunDirectEnd).state;
    if (src === undefined || dst === undefined) return undefined;
    // One writer at a time per drain: the core holds its lock, so this is only a guard.
    if (dst.drainOwner !== undefined || src.route !== undefined) return undefined;
    // docs/contract.md#the-kernel-path: the kernel path when both sockets have a kernel fd and it is enabled.
    const kernel = kernelRun(src, dst, task, () => {
      const run = new DirectRun(src, dst, task);
      run.start();
      return run;
    });
    if (kernel !== undefined) return kernel;
    const run = new DirectRun(src, dst, task);
    run.start();
    return run;
  },
};
