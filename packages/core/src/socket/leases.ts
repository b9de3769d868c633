/**
 * The leases a kit side grants a direct splice between two endpoints
 * (docs/contract.md#direct-dispatch, SPEC 6.2). Each keeps an internal
 * reader or writer (`hold`) on the side's stream, if one exists or is
 * created meanwhile, so that the stream reads as locked until `release()`.
 */
import type { DirectDrainLease, DirectSourceLease } from '../direct.ts';
import type { ByteLease } from '../unshift.ts';

const noop = (): void => {};

/** What a read lease needs of its side (./read-side.ts). */
interface LeasedReadSide {
  endLease(lease: ReadLease): void;
  cancel(reason: unknown): void;
}

/** What a byte lease needs of its side (./read-side.ts). */
interface LentReadSide extends LeasedReadSide {
  takeChunk(): Uint8Array | null | undefined;
  whenData(): Promise<void>;
  giveBack(rest: Uint8Array): void;
}

/** What a write lease needs of its side (./write-side.ts). */
interface LeasedWriteSide {
  endLease(lease: WriteLease): void;
  shutdown(): Promise<void>;
  abort(reason: unknown): void;
}

export class ReadLease implements DirectSourceLease {
  hold: ReadableStreamDefaultReader<Uint8Array> | undefined;
  readonly #side: LeasedReadSide;

  constructor(side: LeasedReadSide) {
    this.#side = side;
  }

  release(): void {
    this.#side.endLease(this);
  }

  cancel(reason: unknown): void {
    // Through the stream when there is one, so that it reads as cancelled too.
    if (this.hold !== undefined) this.hold.cancel(reason).catch(noop);
    else this.#side.cancel(reason);
  }
}

/** The side lent to `readUntil()` / `readExactly()` (`byteLease` in ../unshift.ts): a read lease whose holder takes the bytes itself. */
export class BytesLease extends ReadLease implements ByteLease {
  readonly #lent: LentReadSide;

  constructor(side: LentReadSide) {
    super(side);
    this.#lent = side;
  }

  take(): Uint8Array | null | undefined {
    return this.#lent.takeChunk();
  }

  wait(): Promise<void> {
    return this.#lent.whenData();
  }

  override release(rest?: Uint8Array): void {
    if (rest !== undefined) this.#lent.giveBack(rest);
    super.release();
  }
}

export class WriteLease implements DirectDrainLease {
  hold: WritableStreamDefaultWriter<Uint8Array> | undefined;
  readonly #side: LeasedWriteSide;

  constructor(side: LeasedWriteSide) {
    this.#side = side;
  }

  release(): void {
    this.#side.endLease(this);
  }

  close(): Promise<void> {
    // Through the stream when there is one: after its queued chunks, and it reads as closed.
    return this.hold !== undefined ? this.hold.close() : this.#side.shutdown();
  }

  abort(reason: unknown): void {
    if (this.hold !== undefined) this.hold.abort(reason).catch(noop);
    else this.#side.abort(reason);
  }
}
