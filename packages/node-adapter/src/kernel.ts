/**
 * The kernel path for two sockets of this adapter (SPEC.md section 8): the
 * splice thread of `@sosplice/native` moves the bytes with splice(2), so
 * they never enter JavaScript. Used by ./direct.ts when both sockets have a
 * kernel fd (TCP or Unix, no TLS) and the kernel path is enabled.
 *
 * What this file does around the thread, in order:
 * - the drain's queued writes go first, until Node's own write queue is
 *   empty (the thread then writes the fd alone);
 * - the source's handle stops reading (`readStop()`, with `_handle.reading`
 *   left true so Node's `_read()` does not start it again), and whatever
 *   Node and the readable had buffered goes to the drain first, within the
 *   budget (RUNTIMES.md, "Found while building the first adapters");
 * - at the end the handle reads again and the bytes the thread read back
 *   from its pipe go to the drain (counted) or, if the drain failed, back
 *   to the front of the source.
 */
import type net from 'node:net';
import tls from 'node:tls';
import type { DirectSpliceRun, DirectSpliceTask, SpliceControl } from '@sosplice/core';
import { kernelEligible, startKernelSplice, type KernelOutcome, type KernelSplice } from '@sosplice/native';
import type { ReadConsumer, ReadSide } from './readable.js';
import type { WriteSide, WriteWatcher } from './writable.js';

const EMPTY = new Uint8Array(0);

/** The parts of Node's internal stream handle (TCPWrap, PipeWrap) this file uses. */
interface StreamHandle {
  fd?: number;
  reading?: boolean;
  readStart(): number;
  readStop(): number;
}

const handleOf = (socket: net.Socket): StreamHandle | undefined => (socket as unknown as { _handle?: StreamHandle | null })._handle ?? undefined;

/** The socket's kernel fd, if the kernel path can use it: connected, not TLS, a real fd. */
function kernelFd(socket: net.Socket): number | undefined {
  if (socket instanceof tls.TLSSocket || socket.connecting || socket.destroyed) return undefined;
  const handle = handleOf(socket);
  if (handle === undefined || typeof handle.readStop !== 'function') return undefined;
  return handle.fd;
}

/**
 * A kernel run for this splice, or `undefined` when it does not qualify
 * (the caller then runs the JS direct path). `fallback` starts the JS direct
 * path later if the thread refuses the splice (say, out of fds).
 */
export function kernelRun(source: ReadSide, drain: WriteSide, task: DirectSpliceTask, fallback: () => DirectSpliceRun): DirectSpliceRun | undefined {
  if (source.phase !== 'open' || !drain.writable) return undefined;
  const sourceFd = kernelFd(source.state.socket);
  const drainFd = kernelFd(drain.state.socket);
  if (!kernelEligible(task.source, task.drain, sourceFd, drainFd, task.control)) return undefined;
  return new KernelRun(source, drain, task, fallback, [sourceFd as number, drainFd as number]);
}

type Phase = 'prelude' | 'kernel' | 'done';

class KernelRun implements DirectSpliceRun, ReadConsumer, WriteWatcher {
  #phase: Phase = 'prelude';
  #stopping: Promise<void> | undefined;
  #stopRequested = false;
  #kernel: KernelSplice | undefined;
  #fallback: DirectSpliceRun | undefined;
  /** Bytes Node had buffered when the handle stopped reading: they go before the thread's. */
  #prefix: Uint8Array[] = [];
  #takenOver = false;
  /** A socket was destroyed under the prelude: its own error or close event (next tick) ends the run. */
  #parked = false;
  /** An end or failure of a socket seen while the thread ran: reported once the thread let go. */
  #pending: { side: 'source' | 'drain' | 'eof'; error?: unknown } | undefined;
  readonly #control: SpliceControl;

  constructor(
    readonly source: ReadSide,
    readonly drain: WriteSide,
    readonly task: DirectSpliceTask,
    readonly fallback: () => DirectSpliceRun,
    readonly fds: readonly [source: number, drain: number],
  ) {
    this.#control = task.control;
    // Never report anything synchronously from splice(): the core has no run yet.
    queueMicrotask(() => void this.#start());
  }

  get #over(): boolean {
    return this.#stopRequested || this.#phase === 'done';
  }

  async #start(): Promise<void> {
    if (this.#over) return;
    const { writer, reader } = this.task;
    // SPEC.md 4.1: chunks still in the drain's writable reach the socket before any spliced byte.
    if (writer.desiredSize !== this.drain.highWaterMark) {
      try {
        await writer.write(EMPTY);
      } catch (error) {
        if (!this.#over) this.#control.drainErrored(error);
        return;
      }
      if (this.#over) return;
    }
    this.drain.watch(this);
    if (!this.drain.writable) return this.#drainUnusable();
    await this.source.reclaim(reader);
    if (this.#over) return;
    if (this.source.phase === 'errored') return this.#control.sourceErrored(this.source.state.closedError());
    this.source.attach(this);
    // SPEC.md 3: what was queued in userspace goes first, oldest first: the
    // adapter's buffer, then Node's (taken by #takeOver() through data()).
    for (let chunk = this.source.shift(); chunk !== undefined; chunk = this.source.shift()) this.#prefix.push(chunk);
    if (!this.#takeOver()) return;
    while (this.#prefix.length > 0 && !this.#over) this.#send(this.#prefix.shift()!);
    if (this.#over) return;
    if (this.#pending !== undefined || this.source.phase !== 'open') return this.#finish(undefined);
    // The thread must be the drain's only writer: wait until Node handed the kernel everything.
    const socket = this.drain.state.socket;
    while (socket.writableLength > 0 && this.drain.writable && !this.#over) {
      await new Promise<void>((resolve) => socket.write(EMPTY, () => resolve()));
    }
    if (this.#over) return;
    if (this.#pending !== undefined) return this.#finish(undefined);
    if (!this.drain.writable) return this.#drainUnusable();
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

  /** Stops Node reading the source and collects what it had buffered; false if the handle refused. */
  #takeOver(): boolean {
    const socket = this.source.state.socket;
    const handle = handleOf(socket);
    this.source.pause();
    if (handle === undefined || socket.destroyed) {
      // Destroyed meanwhile: Node reports why on its next tick (an ECONNRESET, our own close()).
      if (this.#pending !== undefined || this.source.phase !== 'open') this.#finish(undefined);
      else this.#parked = true;
      return false;
    }
    const rc = handle.readStop();
    if (rc !== 0) {
      this.#control.sourceErrored(Object.assign(new Error(`readStop failed (${rc})`), { code: 'ERR_SOCKET_CLOSED' }));
      return false;
    }
    // Node's _read() restarts a handle whose `reading` is false: it stays true while the thread reads.
    handle!.reading = true;
    this.#takenOver = true;
    // Node's own buffer, through 'data' into data() below.
    while (socket.read() !== null);
    return true;
  }

  /** Node reads the source again; what is left of the prefix goes back in front. */
  #giveBack(): void {
    this.drain.watch(undefined);
    const handle = handleOf(this.source.state.socket);
    if (this.#takenOver && handle !== undefined && !this.source.state.socket.destroyed) {
      this.#takenOver = false;
      handle.reading = true;
      handle.readStart();
    }
    const prefix = this.#prefix;
    this.#prefix = [];
    this.source.attach(undefined);
    for (const chunk of prefix) this.source.onData(chunk);
  }

  /** Counts a chunk and hands it to the drain, never past the budget (SPEC.md 4.3). */
  #send(chunk: Uint8Array): void {
    const remaining = this.#control.remaining;
    if (chunk.byteLength > remaining) {
      this.#prefix.unshift(chunk.subarray(remaining));
      chunk = chunk.subarray(0, remaining);
    }
    if (chunk.byteLength === 0) return;
    if (!this.drain.writable) {
      this.#prefix.unshift(chunk);
      return this.#drainUnusable();
    }
    this.#control.count(chunk.byteLength);
    this.drain.state.socket.write(chunk);
  }

  /** The thread let go (or never started): bytes and sockets back to Node, then the ending is reported. */
  #finish(outcome: KernelOutcome | undefined): void {
    if (this.#phase === 'done') return;
    this.#phase = 'done';
    const leftover = outcome?.leftover;
    const drainTakes = leftover !== undefined && outcome!.end !== 'drain-error' && this.drain.writable;
    if (leftover !== undefined && !drainTakes) this.#prefix.unshift(leftover);
    this.#giveBack();
    // Counting may end the splice at once (max): the leftover is written right after, in this same step.
    this.#kernel?.commit(drainTakes ? leftover!.byteLength : 0);
    if (drainTakes) this.drain.state.socket.write(leftover!);
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
        // Node never read the reset: the socket fails as if it had (SPEC.md 6: the runtime's error, with its code).
        this.#control.sourceErrored(outcome.error);
        this.source.state.socket.destroy(outcome.error);
        return;
      case 'drain-error':
        this.#control.drainErrored(outcome.error);
        this.drain.state.socket.destroy(outcome.error);
        return;
      case undefined:
        // Ended before the thread started: Node had seen the source's end already.
        if (this.source.phase === 'ended' || this.source.phase === 'closed') this.#control.sourceEnded();
        else if (this.source.phase === 'errored') this.#control.sourceErrored(this.source.state.closedError());
        return;
      default:
      // 'max': commit() counted up to the budget, which stopped the splice. 'stopped': only after stop().
    }
  }

  #drainUnusable(): void {
    if (this.drain.failurePending) this.#parked = true;
    else this.#control.drainErrored(this.drain.state.closedError());
  }

  // --- ReadConsumer / WriteWatcher: socket events while this run holds the source ---

  data(chunk: Uint8Array): void {
    this.#prefix.push(chunk);
  }

  end(): void {
    this.#interrupt({ side: 'eof' });
  }

  error(error: unknown): void {
    // The same socket may be both ends (an echo): report the side that failed first.
    this.#interrupt({ side: this.source.phase === 'errored' ? 'source' : 'drain', error });
  }

  #interrupt(event: { side: 'source' | 'drain' | 'eof'; error?: unknown }): void {
    if (this.#over) return;
    this.#pending ??= event;
    // Before the thread started, #start() reports it at its next step.
    if (this.#phase === 'kernel') void this.#kernel!.stop();
    else if (this.#parked) this.#finish(undefined);
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
