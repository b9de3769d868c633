/**
 * What every adapter's kernel run does around the splice thread, once: the
 * budget on the bytes the runtime had buffered, starting the thread (or the
 * JS direct path if the thread refuses), socket events while it runs, and
 * the ending: leftover bytes to the drain (counted) or back to the source,
 * then the ending reported to the core. The adapter's subclass supplies the
 * runtime's part: its prelude (flush the drain, stop the source, collect
 * what was buffered into `prefix`), and how to write, give back and fail.
 */
import type { DirectSpliceRun, DirectSpliceTask, SpliceControl } from '@sosplice/core';
import { startKernelSplice } from './index.ts';
import type { KernelOutcome, KernelSplice } from './kernel-splice.ts';

type Phase = 'prelude' | 'kernel' | 'done';

/**
 * Resolves after the event loop's next I/O poll. The thread's events arrive
 * in a poll phase, whose own check phase (setImmediate) comes before the
 * next poll: so two hops.
 */
export const nextPoll = (): Promise<void> => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

/** A socket event seen while the run holds the sockets: reported once the thread let go. */
export interface Interruption {
  readonly side: 'source' | 'drain' | 'eof';
  readonly error?: unknown;
}

/**
 * `Task`: the core's task for the splice, stream level (`DirectSpliceTask`,
 * with the core's reader and writer) or endpoint level (`DirectEndpointTask`,
 * with the endpoints' leases); only its `control` is used here.
 */
export abstract class KernelHandover<Task extends { readonly control: SpliceControl } = DirectSpliceTask> implements DirectSpliceRun {
  /** Bytes taken from the source before the thread started, not yet handed to the drain, oldest first. */
  protected prefix: Uint8Array[] = [];
  protected readonly control: SpliceControl;
  #phase: Phase = 'prelude';
  #stopRequested = false;
  #stopping: Promise<void> | undefined;
  #kernel: KernelSplice | undefined;
  #fallback: DirectSpliceRun | undefined;
  #pending: Interruption | undefined;
  /** The runtime reading the source again (see giveBack()). */
  #settling: Promise<void> | undefined;

  constructor(
    protected readonly task: Task,
    private readonly fds: readonly [source: number, drain: number],
    private readonly fallback: () => DirectSpliceRun,
  ) {
    this.control = task.control;
  }

  /** The run ended or was stopped: the prelude stops at its next step. */
  protected get over(): boolean {
    return this.#stopRequested || this.#phase === 'done';
  }

  protected get pending(): Interruption | undefined {
    return this.#pending;
  }

  /**
   * The runtime's part at the end: the source reads again (and takes
   * `prefix` back, in front); the drain is the runtime's. May return a
   * promise that resolves once the runtime had its first chance to read the
   * bytes the kernel still holds past the end (a turn of its event loop), so
   * that, as on the JS paths, closing the socket right after `done` sends a
   * FIN rather than the RST of a socket closed with unread bytes.
   */
  protected abstract giveBack(): void | Promise<void>;
  protected abstract drainWritable(): boolean;
  /** The drain cannot take bytes: report it (or wait for the runtime's own report of why). */
  protected abstract drainUnusable(): void;
  /** Hands counted bytes to the drain through the runtime, after anything queued. */
  protected abstract writeToDrain(bytes: Uint8Array): void;
  /** The thread saw the source (or drain) fail: the runtime's socket fails as if it had seen it. */
  protected abstract failSocket(side: 'source' | 'drain', error: unknown): void;
  /** Ended before the thread started: report the source's end or failure as the runtime saw it. */
  protected abstract endedBeforeKernel(): void;

  /** Counts a chunk of the prefix and hands it to the drain, never past the budget (docs/contract.md#max). */
  protected send(chunk: Uint8Array): void {
    const remaining = this.control.remaining;
    if (chunk.byteLength > remaining) {
      this.prefix.unshift(chunk.subarray(remaining));
      chunk = chunk.subarray(0, remaining);
    }
    if (chunk.byteLength === 0) return;
    if (!this.drainWritable()) {
      this.prefix.unshift(chunk);
      return this.drainUnusable();
    }
    // Counted, then written, in one step: a stop fired by the count (max) still finds it on its way.
    this.control.count(chunk.byteLength);
    this.writeToDrain(chunk);
  }

  /** The prelude is done and the runtime no longer reads the source nor writes the drain: the thread takes over. */
  protected startKernel(): void {
    if (this.over) return;
    if (this.#pending !== undefined) return this.finish(undefined);
    try {
      this.#kernel = startKernelSplice(this.fds[0], this.fds[1], this.control);
    } catch {
      // The thread could not take it (out of fds, say): the JS direct path moves the bytes instead.
      this.#phase = 'done';
      void this.giveBack();
      this.#fallback = this.fallback();
      return;
    }
    this.#phase = 'kernel';
    void this.#kernel.outcome.then((outcome) => this.finish(outcome));
  }

  /** The thread let go (or never started): bytes and sockets back to the runtime, then the ending is reported. */
  protected finish(outcome: KernelOutcome | undefined): void {
    if (this.#phase === 'done') return;
    this.#phase = 'done';
    const leftover = outcome?.leftover;
    const drainTakes = leftover !== undefined && outcome!.end !== 'drain-error' && this.drainWritable();
    if (leftover !== undefined && !drainTakes) this.prefix.unshift(leftover);
    this.#settling = this.giveBack() ?? undefined;
    // Counting may end the splice at once (max): the leftover is written right after, in this same step.
    this.#kernel?.commit(drainTakes ? leftover!.byteLength : 0);
    if (drainTakes) this.writeToDrain(leftover!);
    if (this.#stopRequested) return;
    // The thread's errno is the most precise account of a failure; otherwise what the runtime reported.
    const pending = this.#pending;
    const failed = outcome?.end === 'source-error' || outcome?.end === 'drain-error';
    if (pending !== undefined && !failed) return this.#report(pending);
    switch (outcome?.end) {
      case 'eof':
        return this.control.sourceEnded();
      case 'source-error':
        this.control.sourceErrored(outcome.error);
        return this.failSocket('source', outcome.error);
      case 'drain-error':
        this.control.drainErrored(outcome.error);
        return this.failSocket('drain', outcome.error);
      case undefined:
        return this.endedBeforeKernel();
      default:
      // 'max': commit() counted up to the budget, which stopped the splice. 'stopped': only after stop().
    }
  }

  #report(event: Interruption): void {
    if (event.side === 'eof') this.control.sourceEnded();
    else if (event.side === 'source') this.control.sourceErrored(event.error);
    else this.control.drainErrored(event.error);
  }

  /**
   * A socket ended or failed while this run holds it. Before the thread
   * started the prelude reports it at its next step (`resume`: at once,
   * when the prelude is parked waiting for this very event).
   */
  protected interrupt(event: Interruption, resume = false): void {
    if (this.over) return;
    this.#pending ??= event;
    if (this.#phase === 'kernel') void this.#kernel!.stop();
    else if (resume) this.finish(undefined);
  }

  stop(): void | Promise<void> {
    if (this.#fallback !== undefined) return this.#fallback.stop();
    if (this.#stopRequested) return this.#stopping;
    this.#stopRequested = true;
    if (this.#phase === 'kernel') {
      this.#stopping = this.#kernel!.stop().then(() => this.#settling);
      return this.#stopping;
    }
    if (this.#phase === 'prelude') {
      this.#phase = 'done';
      this.#settling = this.giveBack() ?? undefined;
    }
    return this.#settling;
  }
}
