/**
 * A {@link SocketTransport} over a pull-based socket API, where reads and
 * writes are promises (Deno's `conn.read()` / `conn.write()`, and the like):
 * the push model the kit expects, built from a read loop that honours
 * `pause()` and one write in flight at a time, plus the socket's life
 * (`closed`, `close()` with its linger) that such an API leaves to its user.
 *
 * - Reads: while not paused, one `read()` at a time, into the buffers of
 *   ./read-buffers.ts (a small one while the peer is quiet, `readSize` ones
 *   while data flows; each chunk owned by the kit, or lent to a direct run
 *   whose drain gives it back). A read already pending when `pause()` comes
 *   still delivers (the kit queues it).
 * - Writes: `write()` takes a chunk whole when no write is in flight (and
 *   finishes a partial `write()` itself), says 0 otherwise; `onWritable()`
 *   once it is written, after giving a lent chunk's buffer back
 *   (`returnsLoans`: it keeps no chunk past its write).
 * - A pull-based runtime reports a reset (or the peer's FIN) only to a
 *   pending read or write, so while paused it keeps one 1-byte read pending
 *   (once per pause; its byte waits in the kit's queue): a socket only written
 *   to, or not used at all, still learns that its peer is gone.
 * - The socket is closed (`socket.close()`, `closed` resolves) once both
 *   directions are finished, after a reset, or by `close()`.
 */
import { SocketClosedError } from './errors.ts';
import { LazyOutcome } from './lazy-outcome.ts';
import { giveBack, ReadBuffers } from './read-buffers.ts';
import type { SocketReadSide } from './read-side.ts';
import type { SocketTransport } from './transport.ts';
import type { SocketWriteSide } from './write-side.ts';

/** The pull-based socket: Deno's `Conn` has this shape (with `reset` supplied by the adapter). */
export interface PullSocket {
  /** Reads into `view`; resolves with the count, or `null` at the peer's FIN. */
  read(view: Uint8Array): Promise<number | null>;
  /** Writes some of `bytes`; resolves with how many. */
  write(bytes: Uint8Array): Promise<number>;
  /** Half-close (FIN) after what was written. */
  closeWrite(): Promise<void>;
  /** Sends a reset where the runtime can; `close()` follows. */
  reset(reason: unknown): void;
  /** Releases the socket (a pending read resolves `null` or rejects). Optional: `reset()` alone ends a socket without it. */
  close?(): void;
}

export interface PullTransportOptions {
  /** Of each read while data flows. Default 65536. */
  readSize?: number;
  /** Of the read that waits for the peer. Default `min(2048, readSize)`. */
  idleReadSize?: number;
}

const noop = (): void => {};

export class PullTransport implements SocketTransport {
  readonly socket: PullSocket;
  /** Every chunk it takes is dropped once written, a lent one given back (./read-buffers.ts). */
  readonly returnsLoans = true;
  #read: SocketReadSide | undefined;
  #write: SocketWriteSide | undefined;
  #paused = true;
  /** The 1-byte read of this pause was issued. */
  #watched = false;
  /** A 1-byte read is pending or its byte being delivered: it is the watch of a pause that starts meanwhile. */
  #watching = false;
  /** The read loop in flight. */
  #reading: Promise<void> | undefined;
  readonly #buffers: ReadBuffers;
  /** The write chain of the chunk taken last, and its size. */
  #writing: Promise<void> | undefined;
  #inFlight = 0;
  /** The peer's FIN was read. */
  #eof = false;
  #fin: Promise<void> | undefined;
  #finSent = false;
  #closing = false;
  #destroyed = false;
  #socketClosed = false;
  #failure: { readonly error: unknown } | undefined;
  readonly #closed = new LazyOutcome();
  #closeTask: Promise<void> | undefined;

  constructor(socket: PullSocket, options: PullTransportOptions | number = {}) {
    this.socket = socket;
    const { readSize = 65536, idleReadSize } = typeof options === 'number' ? { readSize: options } : options;
    this.#buffers = new ReadBuffers(readSize, idleReadSize ?? 2048);
  }

  /** The sides to feed; before the first `resume()`. Build the read side with `paused = true`. */
  attach(read: SocketReadSide, write: SocketWriteSide): void {
    this.#read = read;
    this.#write = write;
  }

  /** `close()` was called: reads are dropped, later writes refused. */
  get closing(): boolean {
    return this.#closing;
  }

  /** The socket was released (`socket.close()` called). */
  get socketClosed(): boolean {
    return this.#socketClosed;
  }

  // --- reads ---

  resume(): void {
    this.#paused = false;
    this.#watched = false;
    this.#pump();
  }

  pause(): void {
    this.#paused = true;
    // Once per pause: a resume() and a pause() around a pending watch read (a
    // direct run blocked again by the byte it brought, its write still in
    // flight) would otherwise re-arm it for every byte, a livelock of 1-byte
    // reads and writes.
    if (this.#watching) this.#watched = true;
  }

  /** Starts the read loop as if paused: one 1-byte read watches for a reset or FIN (once the sides are attached). */
  watch(): void {
    if (!this.#closing) this.#pump();
  }

  #wantsRead(): boolean {
    return !this.#eof && !this.#destroyed && (!this.#paused || !this.#watched);
  }

  #pump(): Promise<void> | undefined {
    // Checked first: a loop that ended at once would leave a settled promise here.
    if (this.#reading === undefined && this.#wantsRead()) this.#reading = this.#loop();
    return this.#reading;
  }

  async #loop(): Promise<void> {
    try {
      while (this.#wantsRead()) {
        const watching = this.#paused;
        if (watching) this.#watched = this.#watching = true;
        const buffer = watching ? new Uint8Array(1) : this.#buffers.next();
        const n = await this.socket.read(buffer);
        if (this.#destroyed) return;
        if (n === null) {
          this.#eof = true;
          this.#read?.onEnd();
          return this.#maybeClose();
        }
        // Lent only if, now that the bytes are here, a direct run takes them straight to a drain that gives them back.
        const read = this.#read;
        read?.onData(watching ? buffer.subarray(0, n) : this.#buffers.chunk(buffer, n, read?.borrowing === true));
        this.#watching = false;
      }
    } catch (error) {
      this.fail(error);
    } finally {
      this.#reading = undefined;
      this.#watching = false;
    }
  }

  // --- writes: one chain at a time ---

  write(bytes: Uint8Array): number {
    if (this.#writing !== undefined) return 0;
    if (this.#destroyed) throw this.#failure?.error ?? new SocketClosedError();
    this.watch();
    this.#send(bytes);
    return bytes.byteLength;
  }

  get writeBuffered(): number {
    return this.#inFlight;
  }

  #send(bytes: Uint8Array): void {
    this.#inFlight = bytes.byteLength;
    this.#writing = this.#writeAll(bytes);
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    try {
      for (let off = 0; off < bytes.byteLength; ) off += await this.socket.write(off === 0 ? bytes : bytes.subarray(off));
    } catch (error) {
      giveBack(bytes);
      this.#writing = undefined;
      this.#inFlight = 0;
      return this.fail(error);
    }
    giveBack(bytes);
    this.#writing = undefined;
    this.#inFlight = 0;
    this.#write?.onWritable();
  }

  /** Every taken byte written (a write after it may start at once). */
  async #written(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
  }

  /**
   * FIN after every byte taken; the peer can still answer. Resolves once the
   * FIN is asked for, not once sent: a TLS close_notify takes a round trip
   * of its own (Deno), and the writable's close must not linger on it. A
   * failure still fails the socket (`closed`, reads).
   */
  async shutdown(): Promise<void> {
    await this.#written();
    if (this.#failure !== undefined) throw this.#failure.error;
    if (this.#destroyed) throw new SocketClosedError();
    this.#fin ??= this.socket.closeWrite().then(
      () => {
        this.#finSent = true;
        this.#maybeClose();
      },
      (error: unknown) => this.fail(error),
    );
  }

  /** `writable.abort()` / `readable.cancel()`: a reset (docs/contract.md: it travels, a truncated transfer never looks complete), then closed. */
  reset(reason: unknown): void {
    if (this.#destroyed) return;
    if (!this.#socketClosed) this.socket.reset(reason);
    this.#destroy(reason ?? new SocketClosedError('The socket was destroyed'));
    this.#closed.resolve();
  }

  /** A read, write or FIN failed (reset, broken pipe): both directions are dead. */
  fail(error: unknown): void {
    if (this.#destroyed) return;
    this.#failure = { error };
    this.#destroy(error);
    this.#closed.reject(error);
  }

  // --- the socket's life ---

  /** Resolves once the socket is closed; rejects with a failure. Made when first asked for. */
  get closed(): Promise<void> {
    return this.#closed.promise;
  }

  /**
   * `close()` (docs/adapters.md#closing): reads stop (a splice from this
   * socket ends with `SocketClosedError`), the bytes already queued go out,
   * then the FIN; what the peer still sends is dropped until its FIN; after
   * `linger` ms the socket is destroyed instead. Never rejects.
   */
  close(linger: number): Promise<void> {
    return (this.#closeTask ??= this.#close(linger));
  }

  async #close(linger: number): Promise<void> {
    if (this.#destroyed || this.#socketClosed) return;
    this.#closing = true;
    const error = new SocketClosedError();
    this.#read?.onError(error);
    const flushing = this.#stopWrites(error);
    if (linger > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const expired = new Promise<void>((resolve) => (timer = setTimeout(resolve, linger)));
      await Promise.race([this.#finish(flushing), expired]);
      clearTimeout(timer);
    }
    if (!this.#destroyed) this.#destroy(error);
    this.#closed.resolve();
  }

  /**
   * What the write side holds goes out before the FIN. A writable nobody
   * holds closes itself (after its queue); otherwise the side fails with
   * `error` (a splice into it ends now, later writes are refused) and the
   * chunks it had not handed over yet are written here.
   */
  #stopWrites(error: unknown): Promise<void> {
    const side = this.#write;
    if (side === undefined || side.phase !== 'open') return this.#written();
    const stream = side.writable;
    const streamQueued = side.buffered - side.outbox.size - this.#inFlight;
    if (!stream.locked && streamQueued > 0) return stream.close().catch(noop);
    const rest: Uint8Array[] = [];
    for (let chunk = side.outbox.shift(); chunk !== undefined; chunk = side.outbox.shift()) rest.push(chunk);
    side.onError(error);
    return (async () => {
      for (const chunk of rest) {
        await this.#written();
        if (this.#destroyed) return;
        this.#send(chunk);
      }
      await this.#written();
    })();
  }

  async #finish(flushing: Promise<void>): Promise<void> {
    await flushing;
    await this.shutdown().catch(noop);
    await this.#fin;
    // Drop what the peer still sends (the read side is closed) until its FIN.
    while (!this.#eof && !this.#destroyed) {
      this.#paused = false;
      await this.#pump();
    }
  }

  #maybeClose(): void {
    // docs/adapters.md: the socket is closed once both directions are finished.
    if (this.#socketClosed || !this.#eof || !this.#finSent) return;
    this.#closeSocket();
    this.#closed.resolve();
  }

  #destroy(error: unknown): void {
    this.#destroyed = true;
    this.#closeSocket();
    this.#read?.onError(error);
    this.#write?.onError(error);
  }

  #closeSocket(): void {
    if (this.#socketClosed) return;
    this.#socketClosed = true;
    try {
      this.socket.close?.();
    } catch {
      // Closed by its owner already (Deno: BadResource).
    }
  }
}
