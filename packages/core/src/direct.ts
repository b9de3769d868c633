/**
 * The direct-dispatch extension point (docs/contract.md#direct-dispatch).
 *
 * An adapter whose streams wrap a transport it controls (a socket) can move
 * bytes between two of its own endpoints without the Web Streams machinery.
 * The mark {@link directSplice} may sit at two levels:
 *
 * - on the endpoint (SPEC 6.2, "lazy endpoints"): `endpoint[directSplice]`
 *   is a {@link DirectSpliceEndpoint}. `spliceBidirectional(a, b)` between
 *   two endpoints whose marks name the same provider never reads
 *   `a.readable` / `a.writable`: it takes each side through a *lease* the
 *   endpoint grants ({@link DirectSourceLease}, {@link DirectDrainLease}),
 *   and hands the splice to `provider.spliceEndpoints()`. No Web Stream
 *   needs to exist. (`@sosplice/core/socket` has the endpoint side of this.)
 * - on the streams: `readable[directSplice]` and `writable[directSplice]`
 *   are {@link DirectSpliceEnd}s. A splice between two streams with the same
 *   provider takes their reader and writer and hands the splice to
 *   `provider.splice()`.
 *
 * Whenever the marks do not match (one side unmarked, different providers),
 * a lease is refused because the side is taken (then the splice throws
 * `ERR_SPLICE_BUSY`), the drain can take nothing when the splice starts, or
 * the provider declines (returns `undefined`), the core falls back: from the
 * endpoint level to the streams (reading `.readable` / `.writable`, as for
 * any endpoint), and from the streams to its own stream path. A provider
 * should decline a drain whose write side is already closing: the stream
 * path then ends the splice as it does on every transport.
 *
 * The division of labour is fixed so that every promise of docs/contract.md
 * holds on every path:
 * - the core validates, takes both sides (a reader and a writer, or two
 *   leases) and holds them for the whole splice, so nobody else can read the
 *   source or write the drain; it counts, enforces `max` and `idle`, handles
 *   `signal` / `unsplice()`, and applies the `preventClose` / `preventAbort` /
 *   `preventCancel` policy through what it holds (`writer.close()` or
 *   `lease.close()`, and so on);
 * - the provider only moves bytes: from the source's transport (and first
 *   from whatever the source had already queued) into the drain's transport,
 *   after whatever the drain had already queued, never more than
 *   `control.remaining`, reporting each delivery with `control.count(n)`.
 *
 * Third-party adapters use the same symbol; the core never imports one.
 */

/** The well-known key: `stream[directSplice] = { provider }`, or `endpoint[directSplice] = { provider, leaseSource, leaseDrain }`. */
export const directSplice: unique symbol = Symbol.for('sosplice.directSplice') as never;

/** What an adapter puts under {@link directSplice} on a readable or a writable (and, extended, on an endpoint). */
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
   * Start a direct splice between two marked streams, or return `undefined`
   * to decline (synchronously, having taken nothing): the core then runs its
   * stream path instead.
   */
  splice(task: DirectSpliceTask): DirectSpliceRun | undefined;
  /**
   * Start a direct splice between two marked endpoints, holding their
   * leases, or return `undefined` to decline (synchronously, having taken
   * nothing): the core then releases both leases and splices the endpoints'
   * streams instead. Absent: endpoint marks of this provider are ignored.
   */
  spliceEndpoints?(task: DirectEndpointTask): DirectSpliceRun | undefined;
}

/**
 * What an endpoint puts under {@link directSplice} (SPEC 6.2): the provider,
 * and the two leases through which a splice takes the endpoint's read side
 * and write side without touching its streams.
 *
 * A lease is refused (`undefined`) exactly when the side is taken: leased
 * already, or its stream exists and is locked (a reader, a writer, a
 * stream-level splice). The splice then throws `ERR_SPLICE_BUSY`,
 * synchronously, having taken nothing. While a lease is held, a stream of
 * that side created or obtained by anyone must be locked (the endpoint holds
 * an internal reader or writer on it until the lease ends), and after
 * `release()` the streams, whenever created, read and write the next bytes
 * in order.
 */
export interface DirectSpliceEndpoint extends DirectSpliceEnd {
  leaseSource(): DirectSourceLease | undefined;
  leaseDrain(): DirectDrainLease | undefined;
}

/** The read side of an endpoint, held by a splice (see {@link DirectSpliceEndpoint}). */
export interface DirectSourceLease {
  /** The splice is over: the side is the application's again (nothing closed). Called once. */
  release(): void;
  /**
   * As `readable.cancel(reason)`: the drain failed and `preventCancel` is
   * not set. Destroys the source (a socket: reset). `release()` follows.
   */
  cancel(reason: unknown): void;
}

/** The write side of an endpoint, held by a splice (see {@link DirectSpliceEndpoint}). */
export interface DirectDrainLease {
  /**
   * The splice is over: the side is the application's again. Bytes handed
   * to the transport stay queued there and go out before anything written
   * later. Called once (after `close()` settles when the splice closes).
   */
  release(): void;
  /**
   * As `writer.close()`: the source reached EOF and `preventClose` is not
   * set. Half-closes after every byte queued (a socket: FIN); resolves once
   * done, rejects with the failure. Afterwards the side stays closed: a
   * writable created later is closed.
   */
  close(): Promise<void>;
  /** As `writer.abort(reason)`: the source failed and `preventAbort` is not set. A socket: reset. */
  abort(reason: unknown): void;
}

/** Everything a provider gets to run one splice between two endpoints. */
export interface DirectEndpointTask {
  readonly source: DirectSpliceEndpoint;
  readonly drain: DirectSpliceEndpoint;
  /** The source's read side, held by the core until the splice ends. */
  readonly sourceLease: DirectSourceLease;
  /** The drain's write side, held by the core until the splice ends. */
  readonly drainLease: DirectDrainLease;
  readonly control: SpliceControl;
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

/** The endpoint-level mark of `endpoint`, if it has one (SPEC 6.2). */
export function endpointMark(endpoint: object): DirectSpliceEndpoint | undefined {
  const mark = (endpoint as DirectSpliceCapable)[directSplice] as Partial<DirectSpliceEndpoint> | undefined;
  if (mark === undefined || mark === null || typeof mark.leaseSource !== 'function' || typeof mark.leaseDrain !== 'function') return undefined;
  return mark as DirectSpliceEndpoint;
}

/** Both endpoints' marks, when they name the same provider and it takes endpoint splices. */
export function matchDirectEndpoints(a: object, b: object): { a: DirectSpliceEndpoint; b: DirectSpliceEndpoint } | undefined {
  const ma = endpointMark(a);
  const mb = endpointMark(b);
  if (ma === undefined || mb === undefined || ma.provider !== mb.provider) return undefined;
  if (typeof ma.provider?.spliceEndpoints !== 'function') return undefined;
  return { a: ma, b: mb };
}
