/**
 * The public contract of `@sosplice/core` (SPEC.md section 2).
 *
 * BSD mapping: `max` is `sp_max`, `idle` is `sp_idle`, aborting `signal` (or
 * `unsplice()`) is a splice to fd -1, `bytes` is `getsockopt(SO_SPLICE)`.
 */

/** Two streams that form one end of a bidirectional splice (a socket, mostly). */
export interface SpliceEndpoint {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
}

/** Options of a splice; every field is optional. */
export interface SpliceOptions {
  /** Bytes to deliver at most; `0` or absent means unlimited (BSD `sp_max`). */
  max?: number;
  /** Milliseconds without progress before the splice ends with `'idle'`; `0` or absent means never (BSD `sp_idle`). */
  idle?: number;
  /** Aborting it unsplices (BSD: splice to fd -1). */
  signal?: AbortSignal;
  /** As `pipeTo`: `true` leaves the writable open when the source reaches EOF. */
  preventClose?: boolean;
  /** As `pipeTo`: `true` does not abort the writable when the source errors. */
  preventAbort?: boolean;
  /** As `pipeTo`: `true` does not cancel the source when the writable errors. */
  preventCancel?: boolean;
  /**
   * `spliceBidirectional` only (SPEC 5.1): the pair ends as one connection.
   * The first ending of either direction other than `'eof'` ends the other at
   * once with `'unsplice'`; `idle` then means "neither direction moved", and
   * both end with `'idle'`; EOF still half-closes. Validated (a boolean)
   * everywhere; `spliceStreams` has no other direction and ignores it, so one
   * options object can serve both calls.
   */
  linked?: boolean;
}

/** Why a splice ended (SPEC.md section 5). */
export type SpliceReason = 'eof' | 'max' | 'idle' | 'unsplice' | 'error';

/** How a splice ended. */
export interface SpliceResult {
  readonly reason: SpliceReason;
  /** Bytes handed to the writable by this splice. */
  readonly bytes: number;
  /** The original error; present exactly when `reason === 'error'`. */
  readonly error?: unknown;
  /**
   * Bytes taken from the source that the writable did not get: the
   * application must treat them as the first bytes of the source.
   * - `'max'`: the tail of a non-byte source's chunk that straddled `max`
   *   (absent for byte streams, whose surplus stays in the source itself);
   * - `'error'` with `preventCancel`: a chunk already read when the writable
   *   failed, which it can no longer take (the source stays usable, so these
   *   bytes must not vanish).
   */
  readonly remainder?: Uint8Array;
}

/** A running (or finished) one-way splice. */
export interface Splice {
  /** Bytes handed to the writable so far; live, and final once `done` settles. */
  readonly bytes: number;
  /** Settles once with the result; never rejects. */
  readonly done: Promise<SpliceResult>;
  /** Ends the splice with `'unsplice'` (if still running); idempotent; resolves to the same result as `done`. */
  unsplice(): Promise<SpliceResult>;
  /** Same as `unsplice()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Two splices, one per direction, between two endpoints. */
export interface SplicePair {
  readonly aToB: Splice;
  readonly bToA: Splice;
  /** Settles once both directions have ended; never rejects. */
  readonly done: Promise<[SpliceResult, SpliceResult]>;
  /** Unsplices both directions; idempotent. */
  unsplice(): Promise<[SpliceResult, SpliceResult]>;
  [Symbol.asyncDispose](): Promise<void>;
}
