/**
 * The only file that calls Deno's socket API (https://docs.deno.com/api/deno/~/Deno.Conn):
 * the structural types the adapter needs, opening conns and listeners, and
 * the transport of one wrapped conn under the core's socket kit
 * (`@sosplice/core/socket`, docs/adapters.md#writing-an-adapter-the-socket-kit).
 *
 * Built on `conn.read()` / `conn.write()` / `conn.closeWrite()` only: the
 * conn's own `readable` / `writable` close the whole connection at EOF or on
 * `close()` (denoland/deno#22258, #27510; docs/runtimes.md#deno).
 */
import { SocketClosedError, formatAddress, wrongRuntime, type SocketReadSide, type SocketTarget, type SocketTransport, type SocketWriteSide } from '@sosplice/core/socket';
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

const noop = (): void => {};

/**
 * The buffer a read waits with while the peer is quiet: a pending
 * `conn.read()` pins its buffer, and Deno cannot poll for readability first.
 * A read that fills it switches to a `highWaterMark` buffer while data
 * flows; a read it would have held switches back. An idle conn so pins 2 KiB.
 */
const WAIT_SIZE = 2048;

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

/**
 * One conn as the kit's `SocketTransport`: a read loop that reads while the
 * kit wants bytes (a pending read cannot be cancelled: its bytes still go to
 * the kit, which queues them), one `conn.write()` chain at a time, the FIN,
 * the reset, and the socket's life: `closed`, `close()` with its linger.
 */
export class DenoTransport implements SocketTransport {
  readonly conn: DenoConnLike;
  readonly #highWaterMark: number;
  /** The kit's sides this transport feeds (set by the socket that owns both). */
  readSide!: SocketReadSide;
  writeSide!: SocketWriteSide;
  #paused = true;
  /** The read loop (or the watch read) in flight. */
  #reading: Promise<void> | undefined;
  #big: Uint8Array<ArrayBuffer> | undefined;
  #small: Uint8Array<ArrayBuffer> | undefined;
  #useBig = false;
  /** The `conn.write()` chain of the chunk taken last, and its size. */
  #writing: Promise<void> | undefined;
  #inFlight = 0;
  /** The peer's FIN was read. */
  eof = false;
  /** Our FIN was sent; `#fin` is its `closeWrite()`. */
  #finSent = false;
  #fin: Promise<void> | undefined;
  /** `close()` was called: reads are dropped, later writes refused. */
  closing = false;
  destroyed = false;
  connClosed = false;
  failure: { readonly error: unknown } | undefined;
  #closed: Promise<void> | undefined;
  #outcome: { readonly error?: unknown } | undefined;
  #settle: ((outcome: { readonly error?: unknown }) => void) | undefined;
  #closeTask: Promise<void> | undefined;

  constructor(conn: DenoConnLike, highWaterMark: number) {
    this.conn = conn;
    this.#highWaterMark = highWaterMark;
  }

  // --- read side: the kit asks with resume() / pause() ---

  resume(): void {
    this.#paused = false;
    this.#reading ??= this.#readLoop(false);
  }

  pause(): void {
    this.#paused = true;
  }

  /**
   * One read pending while the kit wants none, so that a reset reaches a
   * conn that is only written to (Deno reports a reset only to a read or a
   * write): a spliced drain whose peer resets while its source is quiet must
   * still end the splice (docs/contract.md#how-a-splice-ends).
   */
  watch(): void {
    if (this.eof || this.destroyed || this.closing) return;
    this.#reading ??= this.#readLoop(true);
  }

  async #readLoop(once: boolean): Promise<void> {
    try {
      for (let first = once; (first || !this.#paused) && !this.eof && !this.destroyed; first = false) {
        // A watch read takes one byte: it only waits for the peer (and pins nothing).
        const buf = first ? new Uint8Array(1) : this.#useBig ? (this.#big ??= new Uint8Array(this.#highWaterMark)) : (this.#small ??= new Uint8Array(WAIT_SIZE));
        const n = await this.conn.read(buf);
        if (this.destroyed) return;
        if (n === null) {
          this.eof = true;
          this.readSide.onEnd();
          return this.#maybeClose();
        }
        this.readSide.onData(this.#chunk(buf, n));
      }
    } catch (error) {
      this.fail(error);
    } finally {
      this.#reading = undefined;
    }
  }

  /** The kit owns what it is given: a full buffer goes whole (a new one next), a short read as a copy. */
  #chunk(buf: Uint8Array<ArrayBuffer>, n: number): Uint8Array {
    const full = n === buf.byteLength;
    if (buf.byteLength === 1) return buf;
    if (buf === this.#big) {
      if (full) this.#big = undefined;
      else if (n < WAIT_SIZE) this.#useBig = false;
    } else if (full) {
      this.#small = undefined;
      this.#useBig = this.#highWaterMark > WAIT_SIZE;
    }
    return full ? buf : buf.slice(0, n);
  }

  // --- write side: one conn.write() chain at a time ---

  write(bytes: Uint8Array): number {
    if (this.#writing !== undefined) return 0;
    if (this.destroyed) throw this.failure?.error ?? new SocketClosedError();
    this.watch();
    this.#inFlight = bytes.byteLength;
    this.#writing = this.#writeAll(bytes);
    return bytes.byteLength;
  }

  get writeBuffered(): number {
    return this.#inFlight;
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    try {
      for (let off = 0; off < bytes.byteLength; ) off += await this.conn.write(off === 0 ? bytes : bytes.subarray(off));
    } catch (error) {
      this.#writing = undefined;
      this.#inFlight = 0;
      return this.fail(error);
    }
    this.#writing = undefined;
    this.#inFlight = 0;
    this.writeSide.onWritable();
  }

  /** Every taken byte written (a write after it may start at once). */
  async #written(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
  }

  /**
   * FIN after every byte taken: `shutdown(SHUT_WR)`, the peer can still
   * answer. Resolves once the FIN is asked for, not once sent: a write to a
   * Deno writable whose close is in flight errors it with an uncoded
   * TypeError, so the close must not linger (a TLS close_notify takes a
   * round of its own). A failure still fails the socket (`closed`, reads).
   */
  async shutdown(): Promise<void> {
    await this.#written();
    if (this.failure !== undefined) throw this.failure.error;
    if (this.destroyed) throw new SocketClosedError();
    this.#fin ??= this.conn.closeWrite().then(
      () => {
        this.#finSent = true;
        this.#maybeClose();
      },
      (error: unknown) => this.fail(error),
    );
  }

  /** `writable.abort()` / `readable.cancel()`: an RST where Deno lets us (./reset.ts), then the conn closed. */
  reset(reason: unknown): void {
    if (this.destroyed) return;
    // docs/contract.md#how-a-splice-ends: a reset travels, so the far peer never takes a truncated transfer for a complete one.
    if (!this.connClosed) sendReset(this.conn);
    this.#destroy(reason ?? new SocketClosedError('The socket was destroyed'));
    this.#settleClosed({});
  }

  // --- the socket's life ---

  /** Resolves once the conn is closed; rejects with the runtime's error. Made when first asked for. */
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

  /** A runtime error (reset, broken pipe): both directions are dead. */
  fail(error: unknown): void {
    withCode(error);
    if (this.destroyed) return;
    this.failure = { error };
    this.#destroy(error);
    this.#settleClosed({ error });
  }

  /**
   * `close()` (docs/adapters.md#closing): reads stop (a splice from this
   * socket ends with `SocketClosedError`), the bytes already queued go out,
   * then the FIN; what the peer still sends is dropped until its FIN; after
   * `linger` ms the conn is destroyed instead. Never rejects.
   */
  close(linger: number): Promise<void> {
    return (this.#closeTask ??= this.#close(linger));
  }

  async #close(linger: number): Promise<void> {
    if (this.destroyed || this.connClosed) return;
    this.closing = true;
    const error = new SocketClosedError();
    this.readSide.onError(error);
    const flushing = this.#stopWrites(error);
    if (linger === 0) return this.#closeNow(error);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<void>((resolve) => (timer = setTimeout(resolve, linger)));
    await Promise.race([this.#finish(flushing), expired]);
    clearTimeout(timer);
    this.#closeNow(error);
  }

  /**
   * What the write side holds goes out before the FIN. A writable nobody
   * holds closes itself (after its queue); otherwise the side fails with
   * `error` (a splice into it ends now, later writes are refused) and the
   * chunks it had not handed over yet are written here.
   */
  #stopWrites(error: unknown): Promise<void> {
    const side = this.writeSide;
    if (side.phase !== 'open') return this.#written();
    const stream = side.writable;
    const streamQueued = side.buffered - side.outbox.size - this.#inFlight;
    if (!stream.locked && streamQueued > 0) return stream.close().catch(noop);
    const rest: Uint8Array[] = [];
    for (let chunk = side.outbox.shift(); chunk !== undefined; chunk = side.outbox.shift()) rest.push(chunk);
    side.onError(error);
    return (async () => {
      for (const chunk of rest) {
        await this.#written();
        if (this.destroyed) return;
        this.#inFlight = chunk.byteLength;
        this.#writing = this.#writeAll(chunk);
      }
      await this.#written();
    })();
  }

  async #finish(flushing: Promise<void>): Promise<void> {
    await flushing;
    await this.shutdown().catch(noop);
    await this.#fin;
    // Drop what the peer still sends (the read side is closed) until its FIN.
    while (!this.eof && !this.destroyed) {
      this.#paused = false;
      await (this.#reading ??= this.#readLoop(false));
    }
  }

  #closeNow(error: unknown): void {
    if (!this.destroyed) this.#destroy(error);
    this.#settleClosed({});
  }

  #maybeClose(): void {
    // docs/adapters.md: the socket is closed once both directions are finished.
    if (this.connClosed || !this.eof || !this.#finSent) return;
    this.#closeConn();
    this.#settleClosed({});
  }

  #destroy(error: unknown): void {
    this.destroyed = true;
    this.#closeConn();
    this.readSide.onError(error);
    this.writeSide.onError(error);
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
