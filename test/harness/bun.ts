/**
 * Bun loopback harness: each endpoint is an `@sosplice/bun-adapter` socket
 * (from `connect()`), its peer the raw Bun socket the harness's own
 * `Bun.listen` accepted on the other end (TCP, TLS or Unix).
 * Runtime API: https://bun.sh/docs/api/tcp
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type BunSocket, type SpliceSocket } from '@sosplice/bun-adapter';
import type { Harness, HarnessFactory, Peer } from '../conformance/_harness';
import { concat } from './_util';
import { setKernelAfter, setNativeEnabled } from '@sosplice/native';
import { pathName, requireKernelPath } from './_kernel';

export type BunTransport = 'tcp' | 'unix' | 'tls';

export interface BunHarnessOptions {
  /** Give the adapter's sockets the direct dispatch path (`false`: Web Streams only). */
  direct: boolean;
  /** With `direct`: the kernel path (docs/contract.md#the-kernel-path) instead of the JS direct path (switched off per endpoint otherwise). */
  kernel?: boolean;
  transport?: BunTransport;
  /** The adapter sockets' `linger` (ms; the adapter's default otherwise). */
  linger?: number;
}

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

/** TLS material for tests (self-signed, `test/fixtures/bun-*.pem`). */
export const bunTls = (): { cert: string; key: string } => ({ cert: fixture('bun-cert.pem'), key: fixture('bun-key.pem') });

/** An adapter socket under Bun. */
export type BunSpliceSocket = SpliceSocket<BunSocket>;

/** Bun's own listener, as the harness uses it. */
export interface BunSocketListener<Data = unknown> {
  readonly port: number;
  data?: Data;
  stop(closeActiveConnections?: boolean): void;
}

type Bun = {
  listen(options: Record<string, unknown>): BunSocketListener<unknown>;
  connect(options: Record<string, unknown>): Promise<BunSocket<unknown>>;
};
const bun = (): Bun => (globalThis as unknown as { Bun: Bun }).Bun;

/** Why a peer write was not handed over: the socket closed without an error of its own. */
function peerClosedError(): Error {
  return Object.assign(new Error('The peer socket closed before the write was handed over'), { code: 'ERR_SOCKET_CLOSED' });
}

/** A raw Bun socket driven as a test peer: records what it receives, writes with Bun's partial writes. */
export class RawPeer implements Peer {
  readonly socket: BunSocket<unknown>;
  private chunks: Uint8Array[] = [];
  private total = 0;
  private flat: Uint8Array | undefined;
  private waiters: Array<{ n: number; resolve: () => void }> = [];
  private out: Array<{ bytes: Uint8Array; resolve: () => void; reject: (error: unknown) => void }> = [];
  private finSent = false;
  private readonly endedP: Promise<void>;
  private readonly abortedP: Promise<unknown>;
  private endedResolve!: () => void;
  private closingResolve!: (how: 'reset' | 'fin') => void;
  private readonly closingP = new Promise<'reset' | 'fin'>((r) => (this.closingResolve = r));
  private abortedResolve!: (v: unknown) => void;
  /** The error Bun reported when this peer's socket closed, if any. */
  closeError: unknown = undefined;
  isClosed = false;

  constructor(socket: BunSocket<unknown>) {
    this.socket = socket;
    this.endedP = new Promise((r) => (this.endedResolve = r));
    this.abortedP = new Promise((r) => (this.abortedResolve = r));
  }

  onData(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.total += chunk.byteLength;
    this.flat = undefined;
    this.waiters = this.waiters.filter((w) => (this.total >= w.n ? (w.resolve(), false) : true));
  }

  onDrain(): void {
    while (this.out.length > 0) {
      const head = this.out[0]!;
      const n = this.socket.write(head.bytes);
      if (n < 0) return;
      if (n < head.bytes.byteLength) {
        head.bytes = head.bytes.subarray(n);
        return;
      }
      this.out.shift();
      head.resolve();
    }
  }

  onEnd(): void {
    this.closingResolve('fin');
    this.endedResolve();
  }

  onClose(error?: unknown): void {
    this.isClosed = true;
    this.closeError = error;
    const code = (error as { code?: unknown } | undefined)?.code;
    this.closingResolve(code === 'ECONNRESET' || code === 'EPIPE' ? 'reset' : 'fin');
    // Bun closes without `end` once both sides sent FIN: a clean close after our FIN is an EOF.
    if (error === undefined && this.finSent) this.endedResolve();
    else this.abortedResolve(undefined);
    // Writes still queued were never handed to the transport: they fail (Peer.write's contract).
    const pending = this.out;
    this.out = [];
    const reason = error ?? peerClosedError();
    for (const w of pending) w.reject(reason);
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.out.length === 0) {
      const n = this.socket.write(bytes);
      if (n === bytes.byteLength) return Promise.resolve();
      if (n < 0) return Promise.reject(peerClosedError());
      bytes = bytes.subarray(n);
    }
    return new Promise((resolve, reject) => this.out.push({ bytes, resolve, reject }));
  }

  async end(): Promise<void> {
    await this.flushed();
    this.finSent = true;
    this.socket.shutdown();
  }

  private flushed(): Promise<void> {
    const last = this.out[this.out.length - 1];
    if (last === undefined) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const { resolve: done, reject: failed } = last;
      last.resolve = () => (done(), resolve());
      last.reject = (error) => (failed(error), reject(error));
    });
  }

  /**
   * Unix sockets have no RST; set by the harness to put one byte, unread, in
   * this peer's receive queue (written raw by the endpoint's socket).
   */
  unreadByte: (() => void) | undefined = undefined;

  async reset(): Promise<(error: unknown) => boolean> {
    if (this.unreadByte !== undefined) {
      // A Unix socket closed with unread bytes makes its peer read ECONNRESET
      // (Linux unix_release_sock); Bun stops reading once paused.
      this.socket.pause();
      this.unreadByte();
    }
    // terminate() closes with an RST: the endpoint reads ECONNRESET (docs/runtimes.md#bun).
    this.socket.terminate();
    return (error) => {
      const code = (error as { code?: unknown } | undefined)?.code;
      return error instanceof Error && (code === 'ECONNRESET' || code === 'EPIPE');
    };
  }

  received(): Uint8Array {
    if (this.flat === undefined || this.flat.byteLength !== this.total) {
      this.flat = concat(...this.chunks);
      this.chunks = [this.flat];
    }
    return this.flat;
  }

  receivedAtLeast(n: number): Promise<void> {
    if (this.total >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  get receivedBytes(): number {
    return this.total;
  }

  ended(): Promise<void> {
    return this.endedP;
  }

  aborted(): Promise<unknown> {
    return this.abortedP;
  }

  closing(): Promise<'reset' | 'fin'> {
    return this.closingP;
  }

  stall(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }
}

/** Raw peer handlers: Bun hands handlers per listener, so they dispatch through `socket.data`. */
const peerHandlers = (accepted: (peer: RawPeer) => void) => ({
  open(socket: BunSocket<unknown>) {
    const peer = new RawPeer(socket);
    socket.data = peer;
    accepted(peer);
  },
  data: (s: BunSocket<unknown>, d: Uint8Array) => (s.data as RawPeer).onData(d),
  drain: (s: BunSocket<unknown>) => (s.data as RawPeer).onDrain(),
  end: (s: BunSocket<unknown>) => (s.data as RawPeer).onEnd(),
  close: (s: BunSocket<unknown>, e?: Error) => (s.data as RawPeer | undefined)?.onClose(e),
  error: () => {},
});

let unixCounter = 0;

/** A raw Bun server for peers plus an adapter `connect()` per endpoint. */
export class BunLoopback {
  readonly transport: BunTransport;
  readonly direct: boolean;
  readonly kernel: boolean;
  private readonly linger: number | undefined;
  private server: BunSocketListener<unknown> | undefined;
  private accepted: RawPeer[] = [];
  private acceptWaiters: Array<(p: RawPeer) => void> = [];
  private chain: Promise<unknown> = Promise.resolve();
  private sockets = new Set<BunSpliceSocket>();
  private peers = new Set<RawPeer>();
  private unixPath: string | undefined;

  constructor(options: BunHarnessOptions) {
    this.direct = options.direct;
    this.kernel = options.kernel ?? false;
    this.transport = options.transport ?? 'tcp';
    this.linger = options.linger;
    const onAccept = (peer: RawPeer): void => {
      this.peers.add(peer);
      const waiter = this.acceptWaiters.shift();
      if (waiter) waiter(peer);
      else this.accepted.push(peer);
    };
    const base = { allowHalfOpen: true, socket: peerHandlers(onAccept) };
    if (this.transport === 'unix') {
      this.unixPath = join(tmpdir(), `sosplice-bun-${process.pid}-${unixCounter++}.sock`);
      this.server = bun().listen({ ...base, unix: this.unixPath });
    } else {
      this.server = bun().listen({ ...base, hostname: '127.0.0.1', port: 0, ...(this.transport === 'tls' ? { tls: bunTls() } : {}) });
    }
  }

  private nextAccepted(): Promise<RawPeer> {
    const ready = this.accepted.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve) => this.acceptWaiters.push(resolve));
  }

  /** A fresh adapter socket and the raw peer on its other end; serialised so accepts pair with connects. */
  pair(): Promise<{ endpoint: BunSpliceSocket; peer: RawPeer }> {
    const next = this.chain.then(async () => {
      const where =
        this.transport === 'unix'
          ? { path: this.unixPath! }
          : { hostname: '127.0.0.1', port: this.server!.port, ...(this.transport === 'tls' ? { tls: { rejectUnauthorized: false } } : {}) };
      const endpoint = await connect({ ...where, direct: this.direct, ...(this.linger === undefined ? {} : { linger: this.linger }) });
      const peer = await this.nextAccepted();
      await endpoint.opened;
      if (!this.kernel) setNativeEnabled(false, endpoint);
      this.sockets.add(endpoint);
      // Bypasses the writable on purpose: the byte only exists to be left unread.
      if (this.transport === 'unix') peer.unreadByte = () => void endpoint.socket.write(new Uint8Array(1));
      return { endpoint, peer };
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  async dispose(): Promise<void> {
    // terminate() on a socket Bun already closed does nothing.
    for (const s of this.sockets) s.socket.terminate();
    for (const p of this.peers) if (!p.isClosed) p.socket.terminate();
    this.sockets.clear();
    this.peers.clear();
    this.server?.stop(true);
    this.server = undefined;
  }
}

/** A conformance harness over loopback Bun sockets through the adapter. */
export function bunHarness(options: BunHarnessOptions): HarnessFactory {
  return async (): Promise<Harness> => {
    if (options.kernel) {
      requireKernelPath();
      // Every splice on the kernel path from its first byte, so that every scenario runs there (test/native/_switches.ts covers the hand-over after kernelAfter() bytes).
      setKernelAfter(0);
    }
    const loop = new BunLoopback(options);
    return {
      name: `bun:${loop.transport}:${pathName(options)}`,
      features: { byteStream: true, exactChunks: false, direct: options.direct, socket: true, resets: loop.transport !== 'unix' },
      endpoint: () => loop.pair(),
      dispose: () => loop.dispose(),
    };
  };
}
