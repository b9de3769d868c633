/**
 * One splice from start to result: what it holds (a reader and a writer, or
 * two endpoint leases), the signal, the path that moves the bytes (the
 * stream pump, or an adapter's direct dispatch), and the ending policy of
 * docs/contract.md#how-a-splice-ends, shared by every path.
 *
 * The splice's state is one `phase`, and every transition is in this file:
 *
 *   new ──start()──> starting ──provider took it──> running
 *    │                  └──declined──> running (stream path)
 *    └──signal already aborted──> settled
 *   running ──direct path: an event──> stopping ──provider stopped──> ending
 *   running ──stream path: max / idle / unsplice / eof / error──> ending
 *   ending ──both sides released──> settled
 *   ending ──eof, drain to close──> closing ──close settled, or unsplice()──> settled
 *
 * `ending` lasts while the decided ending is applied, synchronously: a hook
 * it calls (a linked pair's other direction) cannot start a second one.
 */
import { SpliceController, type SpliceEvent, type StopReason } from './controller.ts';
import type { DirectSpliceRun } from './direct.ts';
import { SpliceHolds } from './holds.ts';
import { offerEndpoints, offerStreams, type LeasedEnds, type Offer } from './dispatch.ts';
import { pumpStreams, type StreamPath } from './stream-pump.ts';
import { datagramMark } from './datagram.ts';
import type { NormalizedOptions } from './validate.ts';
import type { SpliceReason, SpliceResult } from './types.ts';


/** Where a splice is in its life; see the module comment. */
export type SplicePhase = 'new' | 'starting' | 'running' | 'stopping' | 'ending' | 'closing' | 'settled';

/** The running state of one splice; `Splice` is its public face. */
export class SpliceRun extends SpliceHolds {
  readonly ctl: SpliceController;
  readonly options: NormalizedOptions;
  /**
   * Told once, when the result is known (a pair's one `done` promise waits
   * on both directions through it, not on two promises and a `Promise.all`).
   */
  onSettled: (() => void) | undefined;
  /**
   * Told once, synchronously, when this splice's ending is decided, before
   * the streams are touched (a linked pair ends its other direction here:
   * docs/contract.md#linked-pairs, ./linked.ts).
   */
  onEnding: ((reason: SpliceReason) => void) | undefined;
  #phase: SplicePhase = 'new';
  #leased: LeasedEnds | undefined;
  #result: SpliceResult | undefined;
  // `done` is made when asked: a proxy holding thousands of splices may never await one.
  #done: Promise<SpliceResult> | undefined;
  #resolve: ((result: SpliceResult) => void) | undefined;
  #direct: DirectSpliceRun | undefined;
  /** The stream path, when it runs the splice. */
  #stream: StreamPath | undefined;
  /** The first event a provider caused while its `splice()` ran (phase 'starting'). */
  #early: SpliceEvent | undefined;

  constructor(ends: { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> } | LeasedEnds, options: NormalizedOptions) {
    super();
    if ('sourceLease' in ends) {
      this.#leased = ends;
      this.sourceLease = ends.sourceLease;
      this.drainLease = ends.drainLease;
    } else {
      this.readable = ends.readable;
      this.writable = ends.writable;
    }
    this.options = options;
    this.ctl = new SpliceController(options, this.#onEvent);
  }

  get done(): Promise<SpliceResult> {
    if (this.#done !== undefined) return this.#done;
    const result = this.#result;
    return (this.#done = result !== undefined ? Promise.resolve(result) : new Promise((resolve) => (this.#resolve = resolve)));
  }

  get phase(): SplicePhase {
    return this.#phase;
  }

  /** The ending is decided: the paths stop moving bytes from here on. */
  get ended(): boolean {
    const phase = this.#phase;
    return phase !== 'new' && phase !== 'starting' && phase !== 'running';
  }

  get result(): SpliceResult | undefined {
    return this.#result;
  }

  /** Whether an adapter's direct dispatch runs this splice (diagnostics read it right after start()). */
  get direct(): boolean {
    return this.#direct !== undefined;
  }

  /** Takes what it needs and starts moving bytes. Arguments are validated and both sides free. */
  start(): void {
    const { signal } = this.options;
    if (signal?.aborted) {
      // docs/contract.md#starting-a-splice: an already-aborted signal leaves both sides untouched.
      this.releaseSource();
      this.releaseDrain();
      this.#settle({ reason: 'unsplice', bytes: 0 });
      return;
    }
    if (signal !== undefined) {
      this.#onAbort = () => void this.unsplice();
      signal.addEventListener('abort', this.#onAbort);
    }
    // Made per start, not kept: thousands of idle splices hold no closure for it.
    const offer: Offer = (splice) => this.#offer(splice);
    const leased = this.#leased;
    if (leased !== undefined) {
      // Needed only here: the leases themselves are held below.
      this.#leased = undefined;
      // SPEC 6.2: the provider takes the endpoints; declined, the splice falls back to their streams.
      const run = offerEndpoints(leased, this.ctl, offer);
      if (run !== undefined) return this.#running(run);
      this.releaseSource();
      this.releaseDrain();
      // Created here if they did not exist yet; free, since the leases were.
      this.readable = leased.source.readable;
      this.writable = leased.drain.writable;
    }
    const taken = offerStreams(this.readable!, this.writable!, this.ctl, offer);
    if (taken !== undefined) {
      this.reader = taken.reader;
      this.writer = taken.writer;
      return this.#running(taken.run);
    }
    this.#phase = 'running';
    this.ctl.start();
    this.#stream = pumpStreams(this, this.readable!, this.writable!);
  }

  /** Asks a provider; events it causes before it returns wait in `#early`. */
  #offer(splice: () => DirectSpliceRun | undefined): DirectSpliceRun | undefined {
    this.#phase = 'starting';
    try {
      return splice();
    } finally {
      this.#phase = 'new';
    }
  }

  #running(run: DirectSpliceRun): void {
    this.#direct = run;
    this.#phase = 'running';
    this.ctl.start();
    // The provider may have delivered (or hit EOF) before it returned.
    const early = this.#early;
    this.#early = undefined;
    if (early !== undefined) this.#onEvent(early);
  }

  /** `unsplice()`: docs/contract.md#unsplice. */
  unsplice(): Promise<SpliceResult> {
    if (this.#phase === 'settled') return this.done;
    if (this.#phase === 'closing') {
      // docs/contract.md#unsplice: an unsplice during the EOF close resolves at once, still 'eof'; the close goes on.
      this.releaseDrain();
      this.#settle({ reason: 'eof', bytes: this.ctl.bytes });
    } else {
      this.ctl.stop('unsplice');
    }
    return this.done;
  }

  /** Enters 'ending' if no ending was applied yet (a direct run's decided one may be, once it stopped). */
  #beginEnding(): boolean {
    if (this.#phase !== 'running' && this.#phase !== 'stopping') return false;
    this.#phase = 'ending';
    return true;
  }

  /** Ends with a stop reason: both sides released, open. */
  endWithStop(reason: StopReason, remainder?: Uint8Array): void {
    if (!this.#beginEnding()) return;
    this.#ending(reason);
    this.releaseSource();
    this.releaseDrain();
    // docs/datagrams.md: a datagram that did not fit goes back to the front of a source that takes it back.
    const giveBack = remainder === undefined || this.readable === undefined ? undefined : datagramMark(this.readable)?.unshift;
    if (giveBack !== undefined) {
      giveBack(remainder!);
      remainder = undefined;
    }
    const result: SpliceResult =
      remainder !== undefined && remainder.byteLength > 0 ? { reason, bytes: this.ctl.bytes, remainder } : { reason, bytes: this.ctl.bytes };
    this.#settle(result);
  }

  /** The source reached EOF: close the drain unless `preventClose` (docs/contract.md#how-a-splice-ends). */
  endWithEof(): void {
    if (!this.#beginEnding()) return;
    this.#ending('eof');
    this.releaseSource();
    if (this.options.preventClose || !this.holdsDrain) {
      this.releaseDrain();
      this.#settle({ reason: 'eof', bytes: this.ctl.bytes });
      return;
    }
    // docs/contract.md#unsplice: 'eof' without preventClose waits for the close (flush, FIN).
    this.#phase = 'closing';
    this.ctl.close();
    this.closeDrain().then(
      () => {
        this.releaseDrain();
        this.#settle({ reason: 'eof', bytes: this.ctl.bytes });
      },
      (error: unknown) => {
        this.releaseDrain();
        this.#settle({ reason: 'error', bytes: this.#counted(false), error });
      },
    );
  }

  /**
   * A side failed: propagate per `preventAbort` / `preventCancel` (docs/contract.md#how-a-splice-ends).
   * `remainder`: a chunk already taken from the source that the failed drain
   * can no longer take (only with `preventCancel`, where the source lives on).
   */
  endWithError(side: 'source' | 'drain', error: unknown, remainder?: Uint8Array): void {
    if (!this.#beginEnding()) return;
    this.#ending('error');
    if (side === 'source' && !this.options.preventAbort) this.abortDrain(error);
    if (side === 'drain' && !this.options.preventCancel) this.cancelSource(error);
    this.releaseSource();
    this.releaseDrain();
    const bytes = this.#counted(side === 'source' && !this.options.preventAbort);
    const result: SpliceResult =
      remainder !== undefined && remainder.byteLength > 0 && this.options.preventCancel
        ? { reason: 'error', bytes, error, remainder }
        : { reason: 'error', bytes, error };
    this.#settle(result);
  }

  /** The signal's listener, made only when a signal is given. */
  #onAbort: (() => void) | undefined;

  #onEvent = (event: SpliceEvent): void => {
    if (this.#phase === 'starting') {
      this.#early ??= event;
      return;
    }
    const direct = this.#direct;
    if (direct === undefined) {
      if (event.type === 'stop') this.#stream?.interrupt();
      return;
    }
    if (this.#phase !== 'running') return;
    // Direct path: stop the provider (exactly once), then apply the same ending policy.
    this.#direct = undefined;
    this.#phase = 'stopping';
    this.#ending(event.type === 'stop' ? event.reason : event.type);
    const finish = (): void => {
      if (event.type === 'stop') this.endWithStop(event.reason);
      else if (event.type === 'eof') this.endWithEof();
      else this.endWithError(event.side, event.error);
    };
    let stopped: void | Promise<void>;
    try {
      stopped = direct.stop();
    } catch (error) {
      this.endWithError('source', error);
      return;
    }
    if (stopped === undefined) finish();
    else stopped.then(finish, (error: unknown) => this.endWithError('source', error));
  };

  /** The count of an error ending: the stream path's (issue 16), or the controller's (a provider counts what it sent). */
  #counted(aborting: boolean): number {
    return this.#stream?.delivered(aborting) ?? this.ctl.bytes;
  }

  #ending(reason: SpliceReason): void {
    const hook = this.onEnding;
    this.onEnding = undefined;
    hook?.(reason);
  }

  #settle(result: SpliceResult): void {
    if (this.#phase === 'settled') return;
    this.#phase = 'settled';
    this.#result = result;
    this.ctl.close();
    if (this.#onAbort !== undefined) this.options.signal?.removeEventListener('abort', this.#onAbort);
    this.#onAbort = undefined;
    const resolve = this.#resolve;
    this.#resolve = undefined;
    resolve?.(result);
    const settled = this.onSettled;
    this.onSettled = undefined;
    settled?.();
  }
}
