/**
 * The only file that calls Deno's socket API (https://docs.deno.com/api/deno/~/Deno.Conn):
 * the structural types the adapter needs, opening conns and listeners, and
 * the transport one wrapped conn's readable, writable and direct runs share.
 *
 * Built on `conn.read()` / `conn.write()` / `conn.closeWrite()` only: the
 * conn's own `readable` / `writable` close the whole connection at EOF or on
 * `close()` (denoland/deno#22258, #27510; docs/runtimes.md#deno).
 *
 * Read side: a pending `conn.read()` cannot be cancelled without closing the
 * conn, so there is at most one in flight, and whoever issued it may have
 * stopped owning the source by the time it returns (a direct run that was
 * unspliced). Such bytes land in `pending`, read first by the next reader.
 *
 * Write side: `conn.write()` may write part of a buffer; `writeAll` loops
 * and serialises writers, so a direct run's last write, the writable's next
 * chunk and the FIN reach the kernel in order.
 */
import { SocketClosedError, formatAddress, wrongRuntime, type SocketTarget } from '@sosplice/core/socket';
import { ByteQueue } from './readable.ts';
import { sendReset } from './reset.ts';

// --- Deno's types, declared structurally (a Node or Bun user's .d.ts has no `Deno`) ---

/** `Deno.NetAddr` | `Deno.UnixAddr`, as far as the adapter reads them. */
export interface DenoAddr {
  readonly transport: string;
  readonly hostname?: string;
  readonly port?: number;
  readonly path?: string | null;
}

/** The members of `Deno.Conn` (`TcpConn`, `TlsConn`, `UnixConn`) the adapter builds on. */
export interface DenoConnLike {
  /** Resolves to the count read, or `null` at EOF; never closes the conn. */
  read(p: Uint8Array): Promise<number | null>;
  /** May write part of `p`; resolves to the count written. */
  write(p: Uint8Array): Promise<number>;
  /** `shutdown(SHUT_WR)`: sends FIN, the peer can still answer. */
  closeWrite(): Promise<void>;
  /** Full close; a pending `read()` resolves `null`. */
  close(): void;
  readonly localAddr: DenoAddr;
  readonly remoteAddr: DenoAddr;
  /** `Deno.TlsConn` only: completes the TLS handshake (otherwise lazy, on first I/O). */
  handshake?(): Promise<unknown>;
}

/** `Deno.Listener`, structurally. */
export interface DenoListenerLike {
  accept(): Promise<DenoConnLike>;
  close(): void;
  readonly addr: DenoAddr;
}

/** `connect({ tls })`: `Deno.connectTls`'s own options (trusted CA certificates, ALPN). */
export interface DenoConnectTlsOptions {
  caCerts?: string[];
  alpnProtocols?: string[];
}

/** `listen({ tls })`: `Deno.listenTls`'s PEM certificate chain and key (ALPN optional). */
export interface DenoListenTlsOptions {
  cert: string;
  key: string;
  alpnProtocols?: string[];
}

interface DenoNamespace {
  connect(o: { hostname: string; port: number } | { transport: 'unix'; path: string }): Promise<DenoConnLike>;
  connectTls(o: { hostname: string; port: number } & DenoConnectTlsOptions): Promise<DenoConnLike>;
  listen(o: { hostname: string; port: number } | { transport: 'unix'; path: string }): DenoListenerLike;
  listenTls(o: { hostname: string; port: number } & DenoListenTlsOptions): DenoListenerLike;
}

function deno(): DenoNamespace {
  const ns = (globalThis as { Deno?: DenoNamespace }).Deno;
  if (typeof ns?.connect !== 'function') throw wrongRuntime('@sosplice/deno-adapter', 'the Deno runtime (globalThis.Deno)');
  return ns;
}

/** Connects (TLS: handshake done, so a certificate error rejects here); Deno's own errors. */
export async function openConn(target: SocketTarget, tls: DenoConnectTlsOptions | undefined): Promise<DenoConnLike> {
  const ns = deno();
  if ('path' in target) return ns.connect({ transport: 'unix', path: target.path });
  if (tls === undefined) return ns.connect({ hostname: target.hostname, port: target.port });
  const conn = await ns.connectTls({ ...tls, hostname: target.hostname, port: target.port });
  try {
    await conn.handshake?.();
  } catch (error) {
    conn.close();
    throw error;
  }
  return conn;
}

/** Listens (synchronously, as `Deno.listen`). */
export function openListener(target: SocketTarget, tls: DenoListenTlsOptions | undefined): DenoListenerLike {
  const ns = deno();
  if ('path' in target) return ns.listen({ transport: 'unix', path: target.path });
  if (tls === undefined) return ns.listen({ hostname: target.hostname, port: target.port });
  return ns.listenTls({ ...tls, hostname: target.hostname, port: target.port });
}

/** Whether `value` has the members of a `Deno.Conn` the adapter calls. */
export function isDenoConn(value: unknown): value is DenoConnLike {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  return typeof c.read === 'function' && typeof c.write === 'function' && typeof c.closeWrite === 'function' && typeof c.close === 'function';
}

/** `"host:port"` or a Unix path, as WinterTC's `SocketInfo` gives it. */
export function addressOf(addr: DenoAddr | undefined): string | null {
  if (addr === undefined) return null;
  if (addr.transport === 'unix' || addr.transport === 'unixpacket') return addr.path ?? null;
  if (addr.hostname === undefined || addr.port === undefined) return null;
  return formatAddress({ hostname: addr.hostname, port: addr.port });
}

// --- the transport of one wrapped conn ---

/** Returned by `read()` when the caller stopped owning the source meanwhile. */
export const STOLEN: unique symbol = Symbol('sosplice.deno.stolen');

/** Whoever issued a read: once `stopped`, the read's bytes go to `pending`. */
export interface ReadOwner {
  readonly stopped: boolean;
}

/** Told when the conn fails, is destroyed or closed (direct runs listen). */
export type FailureListener = (error: unknown) => void;

const noop = (): void => {};
/** The owner of a watch read: always "stopped", so its byte goes to `pending`. */
const WATCHER: ReadOwner = { stopped: true };

/**
 * Deno's errors keep their class; those without a `code` (`BadResource`,
 * `Interrupted`: the conn was closed under us) get `ERR_SOCKET_CLOSED`.
 */
function withCode(error: unknown): void {
  const closedUnderUs = error instanceof Error && (error.name === 'BadResource' || error.name === 'Interrupted');
  if (closedUnderUs && (error as { code?: unknown }).code === undefined) {
    try {
      Object.defineProperty(error, 'code', { value: 'ERR_SOCKET_CLOSED', configurable: true, writable: true });
    } catch {
      // A frozen error stays as it is.
    }
  }
}

/** The state one conn shares between its readable, its writable and direct runs; internal. */
export class Transport {
  readonly conn: DenoConnLike;
  /** The readable (once created), to know whether anyone holds it. */
  readable: ReadableStream<Uint8Array> | undefined;
  readableController: ReadableByteStreamController | undefined;
  writableController: WritableStreamDefaultController | undefined;
  /** The readable's pull in progress, if any (a direct run waits for it). */
  pulling: Promise<void> | undefined;
  /** Bytes read from the kernel and not yet handed on, oldest first. */
  readonly pending = new ByteQueue();
  /** `conn.read()` returned `null`: the peer's FIN. */
  eof = false;
  /** The readable was closed at EOF: it takes nothing back any more. */
  readClosed = false;
  #reading: Promise<unknown> | undefined;

  #writeBusy = false;
  #writeWaiters: Array<() => void> | undefined;
  /** Bytes handed to `writeAll()` and not yet all written. */
  writing = 0;
  /** Bytes accepted by the writable and not yet handed to `writeAll()` (its queue). */
  queued = 0;
  /** FIN sent. */
  writeDone = false;
  /** `closeWrite()` called: nothing may be written after it, even before the FIN went out. */
  writeEnding = false;

  /** `close()` was called: reads are no longer delivered, writes after it are refused. */
  closing = false;
  /** Bytes the writable held when `close()` came: they still go out, before the FIN. */
  #closeBudget = 0;
  #wake: (() => void) | undefined;
  #closed: Promise<void> | undefined;
  #closeTask: Promise<void> | undefined;

  /** Set by `abort()`, `fail()` or a destroying `close()`: the streams were told already. */
  destroyed = false;
  /** `conn.close()` was called. */
  connClosed = false;
  /** The runtime error that killed the conn, if one did. */
  failure: { readonly error: unknown } | undefined;
  /** How `closed` settles, once known. */
  #outcome: { readonly error?: unknown } | undefined;
  #settle: ((outcome: { readonly error?: unknown }) => void) | undefined;
  #listeners: Set<FailureListener> | undefined;

  constructor(conn: DenoConnLike) {
    this.conn = conn;
  }

  // --- read side ---

  get reading(): boolean {
    return this.#reading !== undefined;
  }

  /** The in-flight `conn.read()` settled (and its bytes were placed). */
  async readSettled(): Promise<void> {
    while (this.#reading !== undefined) await this.#reading.then(noop, noop);
  }

  /** The in-flight read and the readable's pull, both settled. */
  async readIdle(): Promise<void> {
    while (this.#reading !== undefined || this.pulling !== undefined) await (this.#reading ?? this.pulling)?.then(noop, noop);
  }

  /**
   * Reads into `view` (never more than its length: that is how `max` stays
   * exact). If `owner` stopped before the read returns, the bytes go to
   * `pending` (or EOF / the error is recorded) and the result is `STOLEN`.
   */
  read(view: Uint8Array, owner?: ReadOwner): Promise<number | null | typeof STOLEN> {
    const p = this.conn.read(view).then(
      (n): number | null | typeof STOLEN => {
        this.#reading = undefined;
        // A `null` after our own destroy is not the peer's FIN.
        if (n === null && !this.destroyed) this.eof = true;
        const stolen = owner?.stopped === true;
        if (stolen && n !== null && !this.closing) this.pending.push(view.slice(0, n));
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
   * Keeps a 1-byte read pending while nobody reads a conn that is written
   * to: Deno reports a reset only to a read or a write, and a spliced drain
   * whose peer resets while the source is quiet must still end the splice
   * (docs/contract.md#how-a-splice-ends). A byte that comes waits in `pending`.
   */
  watch(): void {
    if (this.#reading !== undefined || this.pulling !== undefined || this.pending.size > 0) return;
    if (this.eof || this.destroyed || this.closing || this.readable?.locked === true) return;
    void this.read(new Uint8Array(1), WATCHER);
  }

  /** The endpoint's `unshift()` (docs/contract.md#header-then-splice): `bytes` (a private copy) go first. */
  putBack(bytes: Uint8Array): void {
    if (this.failure !== undefined) throw this.failure.error;
    if (this.destroyed || this.readClosed || this.closing) throw new SocketClosedError();
    this.pending.unshift(bytes);
  }

  /** Bytes in the readable's own queue (a reader let go mid-read). */
  get streamQueued(): number {
    // highWaterMark is 0, so desiredSize is minus the queue's byte size.
    const size = this.readableController?.desiredSize;
    return size === null || size === undefined ? 0 : Math.max(0, -size);
  }

  /** The EOF was delivered to a reader: the read direction is finished. */
  readFinished(): void {
    this.readClosed = true;
    this.#maybeClose();
  }

  // --- write side ---

  /**
   * The writable's sink takes a chunk of `len` bytes off its queue: `false`
   * when the chunk was written after `close()` (refused; those before it
   * still go out, ahead of the FIN).
   */
  admit(len: number): boolean {
    this.queued -= len;
    if (!this.closing) return true;
    if (this.#closeBudget < len) return false;
    this.#closeBudget -= len;
    if (this.#closeBudget === 0) this.#wake?.();
    return true;
  }

  /**
   * Writes every byte, after every earlier `writeAll` (Deno's write may be
   * partial). The common case, an idle conn taking the whole buffer, costs
   * one `conn.write()` and one reaction.
   */
  writeAll(bytes: Uint8Array): Promise<void> {
    const len = bytes.byteLength;
    if (this.#writeBusy || len === 0 || this.failure !== undefined || this.destroyed || this.writeDone) return this.#writeAllQueued(bytes);
    this.#writeBusy = true;
    this.writing += len;
    return this.conn.write(bytes).then(
      (n) => (n === len ? this.#wrote(len) : this.#finishWrite(bytes, n)),
      (error: unknown) => this.#writeFailed(len, error),
    );
  }

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
      throw new SocketClosedError();
    }
    this.writing += len;
    return this.#finishWrite(bytes, 0);
  }

  async #finishWrite(bytes: Uint8Array, off: number): Promise<void> {
    const len = bytes.byteLength;
    try {
      while (off < len) off += await this.conn.write(off === 0 ? bytes : bytes.subarray(off));
    } catch (error) {
      return this.#writeFailed(len, error);
    }
    this.#wrote(len);
  }

  #wrote(len: number): void {
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
    return new Promise<void>((resolve) => (this.#writeWaiters ??= []).push(resolve));
  }

  #release(): void {
    const next = this.#writeWaiters?.shift();
    if (next !== undefined) next();
    else this.#writeBusy = false;
  }

  /** `shutdown(SHUT_WR)` after every pending write: the half-close. */
  async closeWrite(): Promise<void> {
    this.writeEnding = true;
    await this.#acquire();
    try {
      if (this.failure !== undefined) throw this.failure.error;
      if (this.destroyed) throw new SocketClosedError();
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

  /** Resolves once the conn is closed; rejects with the runtime's error. Created when first asked for. */
  get closed(): Promise<void> {
    if (this.#closed === undefined) {
      const outcome = this.#outcome;
      this.#closed =
        outcome === undefined
          ? new Promise<void>((resolve, reject) => (this.#settle = (o) => ('error' in o ? reject(o.error) : resolve())))
          : 'error' in outcome
            ? Promise.reject(outcome.error)
            : Promise.resolve();
      // `closed` may reject (a reset); nobody has to listen to it.
      this.#closed.catch(noop);
    }
    return this.#closed;
  }

  #settleClosed(outcome: { readonly error?: unknown }): void {
    if (this.#outcome !== undefined) return;
    this.#outcome = outcome;
    this.#settle?.(outcome);
  }

  onFailure(listener: FailureListener): () => void {
    (this.#listeners ??= new Set()).add(listener);
    return () => this.#listeners?.delete(listener);
  }

  #tell(error: unknown): void {
    const listeners = this.#listeners;
    if (listeners === undefined) return;
    this.#listeners = undefined;
    // A copy: a listener may unsubscribe others (a run stopping), and every one must hear it.
    for (const listener of Array.from(listeners)) listener(error);
  }

  /** A runtime error (reset, broken pipe): both directions are dead. */
  fail(error: unknown): void {
    withCode(error);
    if (this.destroyed) return;
    this.failure = { error };
    this.#destroy(error);
    this.#settleClosed({ error });
  }

  /** `writable.abort()` / `readable.cancel()`: reset (where Deno lets us), close the conn, error both streams. */
  abort(reason: unknown): void {
    if (this.destroyed) return;
    // docs/contract.md#how-a-splice-ends: a reset travels, so the far peer never takes a truncated transfer for a complete one.
    if (!this.connClosed) sendReset(this.conn);
    this.#destroy(reason);
    this.#settleClosed({});
  }

  /**
   * `close()` (docs/adapters.md#closing): stop delivering reads, refuse
   * later writes, send FIN after the bytes already queued, then read (and
   * drop) until the peer's FIN; after `linger` ms, destroy. Never rejects.
   */
  close(linger: number): Promise<void> {
    return (this.#closeTask ??= this.#close(linger));
  }

  async #close(linger: number): Promise<void> {
    if (this.destroyed || this.connClosed) return;
    this.closing = true;
    const error = new SocketClosedError();
    this.#closeBudget = this.queued;
    try {
      this.readableController?.error(error);
    } catch {
      // closed at EOF already
    }
    if (this.queued === 0) this.writableController?.error(error);
    // A splice using this conn ends now, with this error (direct runs listen; streams are errored).
    this.#tell(error);
    if (linger === 0) return this.#closeNow(error);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<void>((resolve) => (timer = setTimeout(resolve, linger)));
    await Promise.race([this.#finish(), expired]);
    clearTimeout(timer);
    this.#closeNow(error);
  }

  /** FIN after what the writable held, then drop what the peer still sends until its FIN. */
  async #finish(): Promise<void> {
    while (this.#closeBudget > 0 && !this.destroyed) await new Promise<void>((resolve) => (this.#wake = resolve));
    await this.closeWrite().catch(noop);
    await this.readSettled();
    this.pending.clear();
    const sink = this.eof || this.destroyed ? undefined : new Uint8Array(16384);
    while (sink !== undefined && !this.eof && !this.destroyed) {
      if ((await this.read(sink).catch(() => null)) === null) break;
    }
  }

  #closeNow(error: unknown): void {
    if (!this.destroyed) this.#destroy(error);
    this.#settleClosed({});
  }

  #maybeClose(): void {
    // docs/adapters.md: the socket is closed once both directions are finished.
    if (this.connClosed || !this.eof || this.pending.size > 0 || !this.writeDone) return;
    this.#closeConn();
    this.#settleClosed({});
  }

  #destroy(error: unknown): void {
    this.destroyed = true;
    this.#closeConn();
    try {
      this.readableController?.error(error);
    } catch {
      // Already closed or errored: nothing left to tell its reader.
    }
    this.writableController?.error(error);
    this.#wake?.();
    this.#tell(error);
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
