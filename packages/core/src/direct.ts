/**
 * The direct-dispatch extension point (docs/adapters.md).
 *
 * An adapter whose streams wrap a transport it controls (a socket) can move
 * bytes between two of its own endpoints without the Web Streams machinery.
 * It marks its `readable` and `writable` with {@link directSplice}; when both
 * ends of a splice carry the same {@link DirectSpliceProvider}, the core asks
 * that provider to take the splice over. Whenever the ends do not match, the
 * drain can take nothing when the splice starts (closed, failed or full), or
 * the provider declines, the core uses its stream path. A provider should
 * decline a drain whose write side is already closing: the stream path then
 * ends the splice as it does on every transport.
 *
 * The division of labour is fixed so that every promise of docs/contract.md holds on
 * every path:
 * - the core validates, takes both stream locks (and holds them for the whole
 *   splice, so nobody else can read the source or write the drain), counts,
 *   enforces `max` and `idle`, handles `signal` / `unsplice()`, and applies the
 *   `preventClose` / `preventAbort` / `preventCancel` policy through the
 *   reader and writer it holds;
 * - the provider only moves bytes: from the source's transport (and first
 *   from whatever the source had already queued) into the drain's transport,
 *   after whatever the drain had already queued, never more than
 *   `control.remaining`, reporting each delivery with `control.count(n)`.
 *
 * Third-party adapters use the same symbol; the core never imports one.
 */

/** The well-known key an adapter sets on its streams: `stream[directSplice] = { provider }`. */
export const directSplice: unique symbol = Symbol.for('sosplice.directSplice') as never;

/** What an adapter puts under {@link directSplice} on a readable or a writable. */
export interface DirectSpliceEnd {
  /** Compared by identity: the core only pairs ends with the same provider. */
  readonly provider: DirectSpliceProvider;
}

/** A stream that may offer direct dispatch. */
export interface DirectSpliceCapable {
  readonly [directSplice]?: DirectSpliceEnd;
}

/** The counting controller a provider reports to (the core's `SpliceController`). */
export interface SpliceControl {
  /** Bytes the splice may still deliver; `Infinity` without `max`. */
  readonly remaining: number;
  /** Bytes delivered so far by this splice. */
  readonly bytes: number;
  /**
   * `n` more bytes were handed to the drain. Re-arms `idle`. When this
   * reaches `max` the core calls `run.stop()` synchronously, before `count`
   * returns.
   */
  count(n: number): void;
  /**
   * Datagram sources (docs/datagrams.md): the next datagram does not fit in `remaining`;
   * the provider keeps it first in the source and the splice ends with 'max'.
   */
  maxReached(): void;
  /** The source reached EOF and every byte before it was counted. */
  sourceEnded(): void;
  /** The source failed with `error` (a peer reset, a runtime error). */
  sourceErrored(error: unknown): void;
  /** The drain failed with `error`. */
  drainErrored(error: unknown): void;
  /**
   * For a provider whose bytes move outside JavaScript (a splice thread):
   * until the returned function is called, `bytes` adds `progress.delivered()`
   * and the idle clock counts from `progress.quietMs()` ago when that is
   * later, so both are live without a `count()` per move. The provider then
   * reports the total with one `count()`.
   */
  liveProgress(progress: LiveProgress): () => void;
}

/** What a provider that moves bytes outside JavaScript reports on demand. */
export interface LiveProgress {
  /** Bytes delivered to the drain that `count()` was not told of yet. */
  delivered(): number;
  /** Milliseconds since bytes last moved. */
  quietMs(): number;
}

/** Everything a provider gets to run one splice. */
export interface DirectSpliceTask {
  readonly source: DirectSpliceEnd;
  readonly drain: DirectSpliceEnd;
  /** The source's reader, held by the core until the splice ends. */
  readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  /** The drain's writer, held by the core until the splice ends. */
  readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly control: SpliceControl;
}

/** A direct splice in progress, as returned by a provider. */
export interface DirectSpliceRun {
  /**
   * Stop taking bytes. Called exactly once, for every ending (max, idle,
   * unsplice, and after the provider reported EOF or an error). Resolve once
   * no more bytes will be taken, every byte taken was handed to the drain,
   * and any bytes read past the budget are back at the front of the source.
   * Must not wait for a stalled drain to flush.
   */
  stop(): void | Promise<void>;
}

/** Implemented by an adapter; see the module comment. */
export interface DirectSpliceProvider {
  /**
   * Start a direct splice, or return `undefined` to decline (synchronously,
   * having taken nothing): the core then runs its stream path instead.
   */
  splice(task: DirectSpliceTask): DirectSpliceRun | undefined;
}

/** The provider shared by both streams, if they have the same one. */
export function matchDirectProvider(
  readable: ReadableStream<Uint8Array>,
  writable: WritableStream<Uint8Array>,
): { source: DirectSpliceEnd; drain: DirectSpliceEnd } | undefined {
  const source = (readable as DirectSpliceCapable)[directSplice];
  const drain = (writable as DirectSpliceCapable)[directSplice];
  if (source === undefined || drain === undefined) return undefined;
  if (source.provider !== drain.provider) return undefined;
  return { source, drain };
}
