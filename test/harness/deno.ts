/**
 * Deno loopback harness: each endpoint is an `@sosplice/deno-adapter` socket
 * (from `connect()`, the client side); its peer is the raw `Deno.Conn` the
 * harness's own listener accepted, driven with `read()` / `write()` /
 * `closeWrite()` (TCP on 127.0.0.1, TLS over it, or a Unix socket in a
 * fresh tmp dir). Runtime API: https://docs.deno.com/api/deno/~/Deno.Conn
 *
 * Resets: Deno has no RST API, and its `close()` sends FIN first (tokio's
 * write half shuts down on drop), so the endpoint would read EOF, not an
 * error. TCP/TLS: the peer's socket is disconnected with
 * `connect(fd, AF_UNSPEC)` through FFI, which makes Linux send an RST at
 * once (tcp_disconnect). Unix has no RST: closing a Unix socket with unread
 * data makes the other end's next read fail with ECONNRESET, so the peer
 * leaves two bytes unread and closes.
 */
import { connect, type DenoConnLike, type SpliceSocket } from '@sosplice/deno-adapter';
import type { Harness, HarnessFactory, Peer } from '../conformance/_harness';
import { concat, sleep } from './_util';
import { tcpFd } from '../../scripts/_proc-sockets.mjs';

export type DenoTransport = 'tcp' | 'unix' | 'tls';
/** What the adapter's `wrap()` / `connect()` / `listen()` give. */
export type DenoSocket = SpliceSocket<DenoConnLike>;

export interface DenoHarnessOptions {
  /** Offer the adapter's direct dispatch path (`false`: Web Streams only). */
  direct: boolean;
  transport?: DenoTransport;
  /** Peers do not read in the background (tests drive `peer.conn` themselves). */
  rawPeers?: boolean;
  /** Passed to the adapter's `connect()`. */
  highWaterMark?: number;
}

/** The parts of the `Deno` namespace the tests use, declared here so `tsc` (Node types) checks them. */
export interface DenoTestApi {
  listen(o: { hostname?: string; port?: number } | { transport: 'unix'; path: string }): DenoTestListener;
  listenTls(o: { hostname: string; port: number; cert: string; key: string }): DenoTestListener;
  connect(o: { hostname: string; port: number }): Promise<DenoConnLike>;
  makeTempDirSync(o?: { prefix?: string }): string;
  removeSync(path: string, o?: { recursive?: boolean }): void;
  readTextFileSync(path: string): string;
  readDirSync(path: string): Iterable<{ name: string }>;
  readLinkSync(path: string): string;
  dlopen(path: string, symbols: Record<string, unknown>): { symbols: Record<string, (...args: unknown[]) => unknown> };
  pid: number;
}
export interface DenoTestListener {
  accept(): Promise<DenoConnLike>;
  close(): void;
  readonly addr: { port?: number; path?: string | null };
}

export const deno = (): DenoTestApi => (globalThis as unknown as { Deno: DenoTestApi }).Deno;

/** TLS material for tests: self-signed for localhost / 127.0.0.1 (`test/fixtures/deno-*.pem`). */
export const denoTls = (): { cert: string; key: string } => ({
  cert: deno().readTextFileSync(new URL('../fixtures/deno-cert.pem', import.meta.url).pathname),
  key: deno().readTextFileSync(new URL('../fixtures/deno-key.pem', import.meta.url).pathname),
});

let libc: { symbols: Record<string, (...args: unknown[]) => unknown> } | undefined;


/** Sends an RST on `conn`'s TCP socket now (connect(fd, AF_UNSPEC) = tcp_disconnect on Linux). */
export function sendRst(conn: DenoConnLike): void {
  libc ??= deno().dlopen('libc.so.6', { connect: { parameters: ['i32', 'buffer', 'u32'], result: 'i32' } });
  const fd = tcpFd(conn.localAddr.port!, conn.remoteAddr.port!);
  const unspec = new Uint8Array(16); // sockaddr with sa_family = AF_UNSPEC (0)
  if (libc.symbols.connect!(fd, unspec, unspec.byteLength) !== 0) throw new Error('connect(AF_UNSPEC) failed');
}

/**
 * Errors a reset surfaces as on the endpoint: Deno's ConnectionReset /
 * BrokenPipe; over TLS, rustls reports the lost transport as UnexpectedEof
 * ("peer closed connection without sending TLS close_notify").
 */
export const isResetError = (error: unknown): boolean => {
  const e = error as { code?: unknown; name?: unknown } | null;
  return error instanceof Error && (e?.code === 'ECONNRESET' || e?.code === 'EPIPE' || e?.name === 'UnexpectedEof');
};

/**
 * Resolves once the adapter destroys `conn` (closes it without having both
 * sent its FIN and read the peer's): an abort, a cancel, a runtime error or
 * a `close()` whose linger ran out. Spies on the conn's own methods, which
 * the adapter calls through the conn.
 */
function destroyedOf(conn: DenoConnLike): Promise<unknown> {
  let finSent = false;
  let eofSeen = false;
  const { read, closeWrite, close } = conn;
  return new Promise((resolve) => {
    conn.closeWrite = () => closeWrite.call(conn).then(() => void (finSent = true));
    conn.read = (p) => read.call(conn, p).then((n) => ((eofSeen ||= n === null), n));
    conn.close = () => {
      if (!(finSent && eofSeen)) resolve(undefined);
      close.call(conn);
    };
  });
}

/** A raw `Deno.Conn` driven as the test peer of an adapter socket. */
export class DenoPeer implements Peer {
  readonly conn: DenoConnLike;
  readonly endpoint: DenoSocket;
  readonly transport: DenoTransport;
  #parts: Uint8Array[] = [];
  #total = 0;
  #waiters: Array<{ n: number; resolve: () => void }> = [];
  #stalled = false;
  #held: Uint8Array[] = [];
  #finished = false;
  #reading: Promise<void> | undefined;
  #writes: Promise<unknown> = Promise.resolve();
  readonly #ended: Promise<void>;
  #endedResolve!: () => void;
  readonly #aborted: Promise<unknown>;
  #closingResolve!: (how: 'reset' | 'fin') => void;
  readonly #closing = new Promise<'reset' | 'fin'>((resolve) => (this.#closingResolve = resolve));

  constructor(conn: DenoConnLike, endpoint: DenoSocket, transport: DenoTransport, background = true) {
    this.conn = conn;
    this.endpoint = endpoint;
    this.transport = transport;
    this.#stalled = !background;
    this.#ended = new Promise((resolve) => (this.#endedResolve = resolve));
    this.#aborted = destroyedOf(endpoint.socket);
    if (background) this.#read();
  }

  #read(): void {
    // Not started when stalled: the loop below must reach its first await
    // before its `finally` can run, or `#reading` would keep a finished loop.
    if (this.#reading !== undefined || this.#finished || this.#stalled) return;
    this.#reading = this.#readLoop();
  }

  /**
   * Reads until stalled or finished. `#reading` is cleared in the same step
   * as the loop stops, not in a `.finally()` a microtask later: a resume()
   * in between would find a loop that has stopped and start none, and the
   * bytes sent to this peer would never be read.
   */
  async #readLoop(): Promise<void> {
    try {
      while (!this.#stalled && !this.#finished) {
        const buf = new Uint8Array(65536);
        let n: number | null;
        try {
          n = await this.conn.read(buf);
        } catch (error) {
          if (isResetError(error)) this.#closingResolve('reset');
          n = null;
        }
        if (this.#finished) break;
        if (n === null) {
          this.#closingResolve('fin');
          this.#finished = true;
          this.#endedResolve();
          break;
        }
        // A read already in flight when stall() came is held back until resume().
        if (this.#stalled) this.#held.push(buf.subarray(0, n));
        else this.#deliver(buf.subarray(0, n));
      }
    } finally {
      this.#reading = undefined;
    }
  }

  #deliver(bytes: Uint8Array): void {
    this.#parts.push(bytes);
    this.#total += bytes.byteLength;
    this.#waiters = this.#waiters.filter((w) => (this.#total >= w.n ? (w.resolve(), false) : true));
  }

  write(bytes: Uint8Array): Promise<void> {
    const next = this.#writes.then(async () => {
      let off = 0;
      while (off < bytes.byteLength) off += await this.conn.write(bytes.subarray(off));
    });
    next.catch((error: unknown) => isResetError(error) && this.#closingResolve('reset'));
    this.#writes = next.catch(() => undefined);
    return next;
  }

  async end(): Promise<void> {
    await this.#writes;
    await this.conn.closeWrite();
  }

  async reset(): Promise<(error: unknown) => boolean> {
    if (this.transport === 'unix') {
      // Leave bytes unread, then close: the endpoint reads ECONNRESET.
      this.#stalled = true;
      const one = new Uint8Array(1);
      if (this.#reading !== undefined) {
        // The read in flight takes this byte (or earlier ones) and stops.
        void this.endpoint.socket.write(one).catch(() => 0);
        await this.#reading;
      }
      // One more byte stays unread. If this write cannot complete, the
      // socket buffers are full (a stalled peer): unread bytes exist anyway.
      // No event says "buffer full", hence the bounded wait.
      await Promise.race([this.endpoint.socket.write(one).catch(() => 0), sleep(50)]);
    } else {
      sendRst(this.conn);
    }
    this.#finished = true;
    try {
      this.conn.close();
    } catch {
      // closed already
    }
    return isResetError;
  }

  received(): Uint8Array {
    if (this.#parts.length > 1) this.#parts = [concat(...this.#parts)];
    return this.#parts[0] ?? new Uint8Array(0);
  }

  receivedAtLeast(n: number): Promise<void> {
    if (this.#total >= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ n, resolve }));
  }

  ended(): Promise<void> {
    return this.#ended;
  }

  aborted(): Promise<unknown> {
    return this.#aborted;
  }

  closing(): Promise<'reset' | 'fin'> {
    return this.#closing;
  }

  stall(): void {
    this.#stalled = true;
  }

  resume(): void {
    this.#stalled = false;
    for (const bytes of this.#held.splice(0)) this.#deliver(bytes);
    this.#read();
  }

  /** Closes the peer's conn (end of test). */
  close(): void {
    this.#finished = true;
    try {
      this.conn.close();
    } catch {
      // closed already
    }
  }
}

/** A listener for peers plus an adapter `connect()` per endpoint. */
export class DenoLoopback {
  readonly transport: DenoTransport;
  readonly direct: boolean;
  readonly options: DenoHarnessOptions;
  #listener: DenoTestListener;
  #dir: string | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  #open = new Set<{ close(): unknown }>();

  constructor(options: DenoHarnessOptions) {
    this.direct = options.direct;
    this.options = options;
    this.transport = options.transport ?? 'tcp';
    if (this.transport === 'unix') {
      this.#dir = deno().makeTempDirSync({ prefix: 'sosplice-deno-' });
      this.#listener = deno().listen({ transport: 'unix', path: `${this.#dir}/peer.sock` });
    } else if (this.transport === 'tls') {
      this.#listener = deno().listenTls({ hostname: '127.0.0.1', port: 0, ...denoTls() });
    } else {
      this.#listener = deno().listen({ hostname: '127.0.0.1', port: 0 });
    }
  }

  /** A fresh adapter socket and the raw peer on its other end; serialised so accepts pair with connects. */
  pair(): Promise<{ endpoint: DenoSocket; peer: DenoPeer }> {
    const next = this.#chain.then(async () => {
      const where =
        this.transport === 'unix'
          ? { path: this.#listener.addr.path! }
          : this.transport === 'tls'
            ? { hostname: '127.0.0.1', port: this.#listener.addr.port!, tls: { caCerts: [denoTls().cert] } }
            : { hostname: '127.0.0.1', port: this.#listener.addr.port! };
      const connecting = connect({ ...where, direct: this.direct, highWaterMark: this.options.highWaterMark });
      const raw = await this.#listener.accept();
      // TLS handshakes are lazy in Deno: finish it here, not inside a test's idle window.
      const [endpoint] = await Promise.all([connecting, raw.handshake?.()]);
      const peer = new DenoPeer(raw, endpoint, this.transport, this.options.rawPeers !== true);
      this.#open.add(endpoint).add(peer);
      return { endpoint, peer };
    });
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async dispose(): Promise<void> {
    // Together: an endpoint's close() waits for its peer's FIN (docs/adapters.md#closing).
    await Promise.all(Array.from(this.#open, (s) => s.close()));
    this.#open.clear();
    this.#listener.close();
    if (this.#dir !== undefined) deno().removeSync(this.#dir, { recursive: true });
  }
}

/** A conformance harness over loopback Deno conns through the adapter. */
export function denoHarness(options: DenoHarnessOptions): HarnessFactory {
  return async (): Promise<Harness> => {
    const loop = new DenoLoopback(options);
    return {
      name: `deno:${loop.transport}:${options.direct ? 'direct' : 'generic'}`,
      features: { byteStream: true, exactChunks: false, direct: options.direct, socket: true, resets: loop.transport !== 'unix' },
      endpoint: () => loop.pair(),
      dispose: () => loop.dispose(),
    };
  };
}
