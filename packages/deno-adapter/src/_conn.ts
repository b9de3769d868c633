/**
 * The state one `Deno.Conn` shares between its readable, its writable and
 * the direct dispatch runs that use it as a source or a drain.
 *
 * Built on `conn.read()` / `conn.write()` / `conn.closeWrite()` only: the
 * conn's own `readable` / `writable` close the whole connection at EOF or on
 * `close()` (denoland/deno#22258, #27510; RUNTIMES.md, Deno).
 *
 * Read side: a pending `conn.read()` cannot be cancelled without closing the
 * conn, so there is at most one in flight, and whoever issued it may have
 * stopped owning the source by the time it returns (a direct run that was
 * unspliced). Such bytes land in `#chunks`, read first by the next reader.
 *
 * Write side: `conn.write()` may write part of a buffer; `writeAll` loops
 * and serialises writers, so a direct run's last write and the writable's
 * next chunk reach the kernel in order.
 */
import { ByteQueue } from './_bytes.js';
import type { DenoConnLike } from './_deno.js';
import { sendReset } from './_reset.js';

/** Returned by `read()` when the caller stopped owning the source meanwhile. */
export const STOLEN: unique symbol = Symbol('sosplice.deno.stolen');

/** Whoever issued a read: once `stopped`, the read's bytes go to the buffer. */
export interface ReadOwner {
  readonly stopped: boolean;
}

/** Notified when the conn fails or is destroyed (direct runs listen). */
export type FailureListener = (error: unknown) => void;

const noop = (): void => {};

/** The owner of a watch read: always "stopped", so its byte goes to the buffer. */
const WATCHER: ReadOwner = { stopped: true };

/**
 * Deno's errors keep their class; those without a `code` (`BadResource`,
 * `Interrupted`: the conn was closed under us) get `ERR_SOCKET_CLOSED`, so
 * every adapter error can be told apart by `code`.
 */
export function withCode(error: unknown): void {
  const closedUnderUs = error instanceof Error && (error.name === 'BadResource' || error.name === 'Interrupted');
  if (closedUnderUs && (error as { code?: unknown }).code === undefined) {
    try {
      Object.defineProperty(error, 'code', { value: 'ERR_SOCKET_CLOSED', configurable: true, writable: true });
    } catch {
      // A frozen error stays as it is.
    }
  }
}

/** An error for operations on a conn that `close()` already closed. */
export function socketClosedError(): Error {
  return Object.assign(new Error('The socket was closed'), { code: 'ERR_SOCKET_CLOSED' });
}

/** Shared state of one adapted conn; internal to the adapter. */
export class ConnState {
  readonly conn: DenoConnLike;
  /** The readable, to know whether anyone holds it. */
  readable: ReadableStream<Uint8Array> | undefined;
  /** The readable's controller, for errors and for its queue size. */
  readableController: ReadableByteStreamController | undefined;
  writableController: WritableStreamDefaultController | undefined;
  /** The readable's pull in progress, if any (a direct run waits for it). */
  pulling: Promise<void> | undefined;

  /** Bytes read from the kernel and not yet handed on, oldest first. */
  readonly pending = new ByteQueue();
  /** `conn.read()` returned `null`. */
  eof = false;
  /** The readable stream was closed at EOF: it takes nothing back any more. */
  readClosed = false;
  /** The one `conn.read()` in flight. */
  #reading: Promise<unknown> | undefined;

  #writeBusy = false;
  #writeWaiters: Array<() => void> = [];
  /** Bytes handed to `writeAll()` and not yet all written. */
  writing = 0;
  /** Bytes accepted by the writable and not yet written (its queue). */
  queued = 0;
  /** `closeWrite()` done: FIN sent. */
  writeDone = false;
  /** `closeWrite()` called: nothing may be written after it, even before the FIN went out. */
  writeEnding = false;

  /** Set by `abort()`, `fail()` or `close()`: the streams were told already. */
  destroyed = false;
  /** `conn.close()` was called (destroyed, or both directions finished). */
  connClosed = false;
  /** The runtime error that killed the conn, if one did. */
  failure: { readonly error: unknown } | undefined;
  bytesRead = 0;
  bytesWritten = 0;
  readonly closed: Promise<void>;
  #closedResolve!: () => void;
  #closedReject!: (error: unknown) => void;
  #listeners = new Set<FailureListener>();

  constructor(conn: DenoConnLike) {
    this.conn = conn;
    this.closed = new Promise<void>((resolve, reject) => {
      this.#closedResolve = resolve;
      this.#closedReject = reject;
    });
    // `closed` may reject (a reset); nobody has to listen to it.
    this.closed.catch(noop);
  }

  // --- read side ---

  /** The in-flight `conn.read()` settled (and its bytes were placed). */
  async readSettled(): Promise<void> {
    while (this.#reading !== undefined) await this.#reading.then(noop, noop);
  }

  /** The in-flight read and the readable's pull, both settled. */
  async readIdle(): Promise<void> {
    while (this.#reading !== undefined || this.pulling !== undefined) {
      await (this.#reading ?? this.pulling)?.then(noop, noop);
    }
  }

  get reading(): boolean {
    return this.#reading !== undefined;
  }

  /**
   * Reads into `view` (never more than its length: that is how `max` stays
   * exact). If `owner` stopped before the read returns, the bytes go to the
   * buffer (or EOF / the error is recorded) and the result is `STOLEN`.
   */
  read(view: Uint8Array, owner?: ReadOwner): Promise<number | null | typeof STOLEN> {
    const p = this.conn.read(view).then(
      (n): number | null | typeof STOLEN => {
        this.#reading = undefined;
        if (n === null) {
          // A `null` after our own close() is not the peer's FIN.
          if (!this.destroyed) this.eof = true;
        } else {
          this.bytesRead += n;
        }
        const stolen = owner?.stopped === true;
        if (stolen && n !== null) this.pending.push(view.slice(0, n));
        if (n === null) this.#maybeClose();
        return stolen ? STOLEN : n;
      },
      (error: unknown): typeof STOLEN => {
        this.#reading = undefined;
        this.fail(error);
        if (owner?.stopped === true) return STOLEN;
        throw error;
      },
    );
    this.#reading = p;
    return p;
  }

  /**
   * Keeps a 1-byte read pending while nobody reads this conn, so that a
   * reset (or EOF) reaches a conn that is only written to: a spliced drain
   * whose peer resets while the source is quiet must still end the splice
   * (SPEC 5), and Deno reports a reset only to a read or a write. The byte,
   * if one comes, waits in the buffer for the next reader.
   */
  watch(): void {
    if (this.#reading !== undefined || this.pulling !== undefined || this.pending.size > 0) return;
    if (this.eof || this.destroyed || this.connClosed || this.readable?.locked === true) return;
    void this.read(new Uint8Array(1), WATCHER);
  }

  /** Bytes sitting in the readable's own queue (a reader let go mid-read). */
  /**
   * The endpoint's `unshift()` (SPEC.md 6): `bytes` (checked, a private copy)
   * go first. A read still in flight for a released reader puts its bytes
   * behind them (./readable.ts); one waiting pull is served with them.
   */
  putBack(bytes: Uint8Array): void {
    if (this.failure !== undefined) throw this.failure.error;
    if (this.destroyed || this.readClosed) throw socketClosedError();
    this.pending.unshift(bytes);
  }

  get streamQueued(): number {
    const size = this.readableController?.desiredSize;
    // highWaterMark is 0, so desiredSize is minus the queue's byte size.
    return size === null || size === undefined ? 0 : Math.max(0, -size);
  }

  /** The EOF was delivered to a reader: the read direction is finished. */
  readFinished(): void {
    this.readClosed = true;
    this.#maybeClose();
  }

  // --- write side ---

  /**
   * Writes every byte of `bytes`, after every earlier `writeAll` (Deno's
   * write may be partial: each one finishes before the next starts). The
   * common case, an idle conn taking the whole buffer, costs one
   * `conn.write()` and one reaction.
   */
  writeAll(bytes: Uint8Array): Promise<void> {
    const len = bytes.byteLength;
    if (this.#writeBusy || len === 0 || this.failure !== undefined || this.destroyed || this.writeDone) {
      return this.#writeAllQueued(bytes);
    }
    this.#writeBusy = true;
    this.writing += len;
    return this.conn.write(bytes).then(
      (n) => (n === len ? this.#wrote(len) : this.#finishWrite(bytes, n)),
      (error: unknown) => this.#writeFailed(len, error),
    );
  }

  /** Waits for the writers before this one, then writes (or fails as the conn did). */
  async #writeAllQueued(bytes: Uint8Array): Promise<void> {
    const len = bytes.byteLength;
    this.writing += len;
    try {
      await this.#acquire();
    } finally {
      this.writing -= len;
    }
    if (this.failure !== undefined || this.destroyed || this.writeDone || len === 0) {
      this.#release();
      if (this.failure !== undefined) throw this.failure.error;
      if (len === 0) return;
      throw socketClosedError();
    }
    this.writing += len;
    let off = 0;
    try {
      while (off < len) off += await this.conn.write(off === 0 ? bytes : bytes.subarray(off));
    } catch (error) {
      return this.#writeFailed(len, error);
    }
    this.#wrote(len);
  }

  async #finishWrite(bytes: Uint8Array, off: number): Promise<void> {
    const len = bytes.byteLength;
    try {
      while (off < len) off += await this.conn.write(bytes.subarray(off));
    } catch (error) {
      return this.#writeFailed(len, error);
    }
    this.#wrote(len);
  }

  #wrote(len: number): void {
    this.bytesWritten += len;
    this.writing -= len;
    this.#release();
  }

  #writeFailed(len: number, error: unknown): never {
    this.writing -= len;
    this.#release();
    this.fail(error);
    throw error;
  }

  /** The write lock: resolves owning it (handed over in order, never raced for). */
  #acquire(): Promise<void> | undefined {
    if (!this.#writeBusy) {
      this.#writeBusy = true;
      return undefined;
    }
    return new Promise<void>((resolve) => this.#writeWaiters.push(resolve));
  }

  #release(): void {
    const next = this.#writeWaiters.shift();
    if (next !== undefined) next();
    else this.#writeBusy = false;
  }

  /** `shutdown(SHUT_WR)` after every pending write: the half-close. */
  async closeWrite(): Promise<void> {
    this.writeEnding = true;
    await this.#acquire();
    try {
      if (this.failure !== undefined) throw this.failure.error;
      if (this.destroyed) throw socketClosedError();
      if (this.writeDone) return;
      await this.conn.closeWrite();
      this.writeDone = true;
    } catch (error) {
      if (error !== this.failure?.error) this.fail(error);
      throw error;
    } finally {
      this.#release();
    }
    this.#maybeClose();
  }

  // --- lifecycle ---

  onFailure(listener: FailureListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A runtime error (reset, broken pipe): both directions are dead. */
  fail(error: unknown): void {
    withCode(error);
    if (this.destroyed) return;
    this.failure = { error };
    this.#destroy(error, false);
    this.#closedReject(error);
  }

  /** `writable.abort()` / `readable.cancel()`: reset (where Deno lets us) and close the conn, error both streams. */
  abort(reason: unknown): void {
    if (this.destroyed) return;
    // SPEC 5: a reset travels, so the far peer never takes a truncated transfer for a complete one.
    if (!this.connClosed) sendReset(this.conn);
    this.#destroy(reason, false);
    this.#closedResolve();
  }

  /** `close()`: close the conn; the readable ends, the writable refuses further writes. */
  close(): void {
    if (this.destroyed) return;
    this.#destroy(socketClosedError(), true);
    this.#closedResolve();
  }

  #maybeClose(): void {
    // SPEC 6: the socket is closed once both directions are finished.
    if (this.connClosed || !this.eof || this.pending.size > 0 || !this.writeDone) return;
    this.#closeConn();
    this.#closedResolve();
  }

  #destroy(error: unknown, graceful: boolean): void {
    this.destroyed = true;
    this.#closeConn();
    const rc = this.readableController;
    if (rc !== undefined) {
      try {
        if (graceful) {
          rc.close();
          rc.byobRequest?.respond(0);
        } else {
          rc.error(error);
        }
      } catch {
        // Already closed or errored: nothing left to tell its reader.
      }
    }
    this.writableController?.error(error);
    // A copy: a listener may unsubscribe others (a run stopping), and every one must hear it.
    for (const listener of Array.from(this.#listeners)) listener(error);
    this.#listeners.clear();
  }

  #closeConn(): void {
    if (this.connClosed) return;
    this.connClosed = true;
    try {
      this.conn.close();
    } catch {
      // BadResource: the conn was closed by its owner already.
    }
  }
}
