/**
 * The shared counting controller: one per splice, used by the stream path,
 * by adapters' direct dispatch paths (as their `SpliceControl`) and by
 * `SpliceTransform`. It owns the byte count, the `max` budget and the `idle`
 * deadline, and turns each into one event for its owner.
 */
import type { LiveProgress, SpliceControl } from './direct.ts';
import { idleClock, type IdleWatch, now } from './idle-clock.ts';

/** Endings that the controller itself decides. */
export type StopReason = 'max' | 'idle' | 'unsplice';

/** What the controller tells its owner. */
export type SpliceEvent =
  | { readonly type: 'stop'; readonly reason: StopReason }
  | { readonly type: 'eof' }
  | { readonly type: 'error'; readonly side: 'source' | 'drain'; readonly error: unknown };

/** Limits a controller enforces; `0` means none. */
export interface SpliceLimits {
  readonly max: number;
  readonly idle: number;
}

/** Counts bytes and enforces `max` and `idle` for one splice. */
export class SpliceController implements SpliceControl {
  /** `0` = unlimited. */
  readonly max: number;
  /** `0` = no timeout. */
  readonly idle: number;
  #bytes = 0;
  #lastProgress = 0;
  #stopReason: StopReason | undefined;
  #closed = false;
  #watch: IdleWatch | undefined;
  /** The other direction of a linked pair: `idle` then watches the connection (docs/contract.md#idle). */
  #partner: SpliceController | undefined;
  #live: LiveProgress | undefined;
  readonly #onEvent: (event: SpliceEvent) => void;

  constructor(limits: SpliceLimits, onEvent: (event: SpliceEvent) => void) {
    this.max = limits.max;
    this.idle = limits.idle;
    this.#onEvent = onEvent;
  }

  /** Starts the idle clock (if `idle` is set). */
  start(): void {
    // Progress times matter only to the idle clock.
    if (this.idle === 0 || this.#closed) return;
    this.#lastProgress = now();
    this.#watch = idleClock.watch(this);
  }

  get bytes(): number {
    const live = this.#live;
    return live === undefined ? this.#bytes : this.#bytes + live.delivered();
  }

  liveProgress(progress: LiveProgress): () => void {
    this.#live = progress;
    return () => {
      if (this.#live === progress) this.#live = undefined;
    };
  }

  /** When a byte last moved, counting bytes a live provider moved (see `liveProgress`). */
  #lastMoved(): number {
    const live = this.#live;
    if (live === undefined) return this.#lastProgress;
    return Math.max(this.#lastProgress, now() - live.quietMs());
  }

  get remaining(): number {
    return this.max === 0 ? Number.POSITIVE_INFINITY : this.max - this.#bytes;
  }

  /** The first stop requested (`max`, `idle` or `unsplice`), if any. */
  get stopReason(): StopReason | undefined {
    return this.#stopReason;
  }

  /**
   * Links `idle` to the other direction of a pair (docs/contract.md#idle, #linked-pairs): this
   * direction is idle only once neither moved a byte for `idle` ms. A
   * partner that ended keeps its last progress, so only this side counts then.
   */
  linkIdle(partner: SpliceController): void {
    this.#partner = partner;
  }

  /** @internal for the idle clock. */
  get idleDeadline(): number {
    const mine = this.#lastMoved();
    const partner = this.#partner;
    return (partner === undefined ? mine : Math.max(mine, partner.#lastMoved())) + this.idle;
  }

  /** @internal for the idle clock. */
  onIdle(): void {
    this.#watch = undefined;
    this.stop('idle');
  }

  count(n: number): void {
    // After the end the count is final (docs/contract.md#counting): a late report from a
    // provider (a write callback firing after an unsplice) changes nothing.
    if (this.#closed) return;
    this.#bytes += n;
    if (this.#watch !== undefined) this.#lastProgress = now();
    if (this.max !== 0 && this.#bytes >= this.max) this.stop('max');
  }

  /** A datagram source's next datagram does not fit (docs/datagrams.md): end with 'max' before it. */
  maxReached(): void {
    this.stop('max');
  }

  /** Requests a stop; the first request wins. Returns whether this one did. */
  stop(reason: StopReason): boolean {
    if (this.#stopReason !== undefined || this.#closed) return false;
    this.#stopReason = reason;
    this.#unwatch();
    this.#onEvent({ type: 'stop', reason });
    return true;
  }

  sourceEnded(): void {
    if (!this.#closed) this.#onEvent({ type: 'eof' });
  }

  sourceErrored(error: unknown): void {
    if (!this.#closed) this.#onEvent({ type: 'error', side: 'source', error });
  }

  drainErrored(error: unknown): void {
    if (!this.#closed) this.#onEvent({ type: 'error', side: 'drain', error });
  }

  /** The splice has ended: no more events, no more timers. */
  close(): void {
    this.#closed = true;
    this.#unwatch();
  }

  #unwatch(): void {
    if (this.#watch === undefined) return;
    idleClock.unwatch(this.#watch);
    this.#watch = undefined;
  }
}
