/**
 * The kernel path for two sockets of this adapter (SPEC.md section 8): the
 * splice thread of `@sosplice/native` moves the bytes with splice(2), so
 * they never enter JavaScript. Used by ./direct.ts when both are plain
 * (not TLS) Bun sockets with a kernel fd and the kernel path is enabled.
 *
 * Around the thread, in order: the drain's queued writes go first, until
 * the `outbox` is empty (the thread then writes the fd alone); the source is
 * paused (Bun's `pause()` really stops kernel reads: RUNTIMES.md) and what
 * it had buffered goes to the drain first, within the budget; at the end the
 * bytes the thread read back from its pipe go to the drain (counted) or, if
 * the drain failed, back to the front of the source, and the source's flow
 * is the stream's again.
 */
import type { DirectSpliceRun, DirectSpliceTask, SpliceControl } from '@sosplice/core';
import { kernelEligible, startKernelSplice, type KernelOutcome, type KernelSplice } from '@sosplice/native';
import type { BunSocket } from './_bun.js';
import type { DrainOwner, Route, SocketState } from './_state.js';

const EMPTY = new Uint8Array(0);

/** The kernel fd of a plain TCP or Unix socket (a TLS socket's bytes are ciphertext: never spliced). */
function kernelFd(state: SocketState): number | undefined {
  const socket = state.socket as BunSocket<unknown> & { fd?: number };
  if (state.isClosed || Object.prototype.toString.call(socket) !== '[object TCPSocket]') return undefined;
  return socket.fd;
}

/**
 * A kernel run for this splice, or `undefined` when it does not qualify
 * (the caller then runs the JS direct path). `fallback` starts the JS direct
 * path later if the thread refuses the splice (say, out of fds).
 */
export function kernelRun(src: SocketState, dst: SocketState, task: DirectSpliceTask, fallback: () => DirectSpliceRun): DirectSpliceRun | undefined {
  if (src.readEnded || src.readFailed || dst.writeEnded || dst.writeFailed) return undefined;
  const sourceFd = kernelFd(src);
  const drainFd = kernelFd(dst);
  if (!kernelEligible(task.source, task.drain, sourceFd, drainFd, task.control)) return undefined;
  const run = new KernelRun(src, dst, task, fallback, [sourceFd!, drainFd!]);
  run.start();
  return run;
}

type Phase = 'prelude' | 'kernel' | 'done';

class KernelRun implements DirectSpliceRun, Route, DrainOwner {
  #phase: Phase = 'prelude';
  #stopRequested = false;
  #stopping: Promise<void> | undefined;
  #kernel: KernelSplice | undefined;
  #fallback: DirectSpliceRun | undefined;
  /** Bytes taken from the source before the thread started, not yet handed to the drain. */
  #prefix: Uint8Array[] = [];
  #pending: { side: 'source' | 'drain' | 'eof'; error?: unknown } | undefined;
  readonly #control: SpliceControl;

  constructor(
    readonly src: SocketState,
    readonly dst: SocketState,
    readonly task: DirectSpliceTask,
    readonly fallback: () => DirectSpliceRun,
    readonly fds: readonly [source: number, drain: number],
  ) {
    this.#control = task.control;
  }

  get #over(): boolean {
    return this.#stopRequested || this.#phase === 'done';
  }

  start(): void {
    // The source pauses (wantsData() is false) and its data comes here from now on.
    this.src.route = this;
    this.dst.drainOwner = this;
    this.src.updateFlow();
    // Not inside provider.splice(): the core learns of the run from its return value.
    queueMicrotask(() => void this.#prelude());
  }

  async #prelude(): Promise<void> {
    const { reader, writer } = this.task;
    try {
      // SPEC.md 4.1: writes still queued on the drain go before any spliced byte.
      if (writer.desiredSize !== this.dst.highWaterMark) await writer.write(EMPTY);
      await this.dst.whenOutboxEmpty();
    } catch (error) {
      if (!this.#over) this.#control.drainErrored(error);
      return;
    }
    try {
      // SPEC.md 3: bytes a reader abandoned in the stream's queue go first.
      while (!this.#over && -(this.src.rc?.desiredSize ?? 0) > 0) {
        const { value, done } = await reader.read();
        if (done) break;
        // Stopped meanwhile: these bytes were the first in the source, and go back there.
        if (this.#over) return this.src.unshift(value);
        this.#prefix.push(value);
      }
    } catch (error) {
      if (!this.#over) this.#control.sourceErrored(error);
      return;
    }
    if (this.#over) return;
    for (let chunk = this.src.shift(); chunk !== undefined; chunk = this.src.shift()) this.#prefix.push(chunk);
    while (this.#prefix.length > 0 && !this.#over) this.#send(this.#prefix.shift()!);
    if (this.#over) return;
    try {
      // The thread must be the drain's only writer.
      await this.dst.whenOutboxEmpty();
    } catch (error) {
      if (!this.#over) this.#control.drainErrored(error);
      return;
    }
    if (this.#over) return;
    if (this.#pending !== undefined || this.src.readEnded || this.src.readFailed) return this.#finish(undefined);
    try {
      this.#kernel = startKernelSplice(this.fds[0], this.fds[1], this.#control);
    } catch {
      // The thread could not take it (out of fds, say): the JS direct path moves the bytes instead.
      this.#giveBack();
      this.#phase = 'done';
      this.#fallback = this.fallback();
      return;
    }
    this.#phase = 'kernel';
    void this.#kernel.outcome.then((outcome) => this.#finish(outcome));
  }

  /** Counts a chunk and hands it to the drain, never past the budget (SPEC.md 4.3). */
  #send(chunk: Uint8Array): void {
    const remaining = this.#control.remaining;
    if (chunk.byteLength > remaining) {
      this.#prefix.unshift(chunk.subarray(remaining));
      chunk = chunk.subarray(0, remaining);
    }
    if (chunk.byteLength === 0) return;
    try {
      this.dst.assertWritable();
    } catch (error) {
      this.#prefix.unshift(chunk);
      return this.#control.drainErrored(error);
    }
    this.#control.count(chunk.byteLength);
    try {
      this.dst.send(chunk);
    } catch (error) {
      this.#interrupt({ side: 'drain', error });
    }
  }

  /** The source's flow is the stream's again; what is left of the prefix goes back in front. */
  #giveBack(): void {
    if (this.src.route === this) this.src.route = undefined;
    if (this.dst.drainOwner === this) this.dst.drainOwner = undefined;
    for (let i = this.#prefix.length - 1; i >= 0; i--) this.src.unshift(this.#prefix[i]!);
    this.#prefix = [];
    this.src.updateFlow();
  }

  /** The thread let go (or never started): bytes and sockets back to Bun, then the ending is reported. */
  #finish(outcome: KernelOutcome | undefined): void {
    if (this.#phase === 'done') return;
    this.#phase = 'done';
    const leftover = outcome?.leftover;
    const drainTakes = leftover !== undefined && outcome!.end !== 'drain-error' && !this.dst.writeFailed && !this.dst.writeEnded;
    if (leftover !== undefined && !drainTakes) this.#prefix.unshift(leftover);
    this.#giveBack();
    // Counting may end the splice at once (max): the leftover goes out right after, in this same step.
    this.#kernel?.commit(drainTakes ? leftover!.byteLength : 0);
    if (drainTakes) {
      try {
        this.dst.send(leftover!);
      } catch {
        // Lost with the connection: the drain's own error reports it.
      }
    }
    if (this.#stopRequested) return;
    const pending = this.#pending;
    if (pending !== undefined) {
      if (pending.side === 'eof') this.#control.sourceEnded();
      else if (pending.side === 'source') this.#control.sourceErrored(pending.error);
      else this.#control.drainErrored(pending.error);
      return;
    }
    switch (outcome?.end) {
      case 'eof':
        return this.#control.sourceEnded();
      case 'source-error':
        // Bun never read the reset: the socket fails as if it had (SPEC.md 6: the runtime's error, with its code).
        this.#control.sourceErrored(outcome.error);
        this.src.onError(outcome.error);
        if (!this.src.isClosed) this.src.socket.terminate();
        return;
      case 'drain-error':
        this.#control.drainErrored(outcome.error);
        this.dst.onError(outcome.error);
        if (!this.dst.isClosed) this.dst.socket.terminate();
        return;
      case undefined:
        // Ended before the thread started: Bun had seen the source's end already.
        if (this.src.readFailed) this.#control.sourceErrored(this.src.readError);
        else if (this.src.readEnded) this.#control.sourceEnded();
        return;
      default:
      // 'max': commit() counted up to the budget, which stopped the splice. 'stopped': only after stop().
    }
  }

  #interrupt(event: { side: 'source' | 'drain' | 'eof'; error?: unknown }): void {
    if (this.#over) return;
    this.#pending ??= event;
    // Before the thread started, #prelude() reports it at its next step.
    if (this.#phase === 'kernel') void this.#kernel!.stop();
  }

  // --- Route (source side) and DrainOwner: socket events while this run holds both ---

  onData(chunk: Uint8Array): void {
    // Behind what `inbox` holds already: the prelude takes it in order.
    this.src.push(chunk);
  }

  onEnd(): void {
    this.#interrupt({ side: 'eof' });
  }

  onError(error: unknown): void {
    this.#interrupt({ side: 'source', error });
  }

  wantsData(): boolean {
    return false;
  }

  onOutboxEmpty(): void {}

  onDrainError(error: unknown): void {
    this.#interrupt({ side: 'drain', error });
  }

  stop(): void | Promise<void> {
    if (this.#fallback !== undefined) return this.#fallback.stop();
    if (this.#stopRequested) return this.#stopping;
    this.#stopRequested = true;
    if (this.#phase === 'kernel') {
      this.#stopping = this.#kernel!.stop().then(() => undefined);
      return this.#stopping;
    }
    if (this.#phase === 'prelude') {
      this.#phase = 'done';
      this.#giveBack();
    }
  }
}
