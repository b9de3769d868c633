/**
 * Node harnesses: an endpoint is a real loopback socket wrapped by
 * `@sosplice/node-adapter` (`connect()`, the client side); its peer is the
 * raw accepted socket on the server side (`net`, or `tls` over a raw `net`
 * socket so a reset can reach the TCP layer). Loopback only: 127.0.0.1, ::1,
 * or a Unix socket in a fresh tmp dir.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { connect, type SpliceSocket } from '@sosplice/node-adapter';
import { setKernelAfter, setNativeEnabled } from '@sosplice/native';
import type { Harness, HarnessFactory, Peer } from '../conformance/_harness';
import { concat } from './_util';
import { pathName, requireKernelPath } from './_kernel';

export type NodeTransport = 'tcp' | 'tcp6' | 'unix' | 'tls';

export interface NodeHarnessOptions {
  /** Offer the adapter's direct dispatch path (default) or force the stream path. */
  direct: boolean;
  /**
   * With `direct`: the kernel path of `@sosplice/native` (docs/contract.md#the-kernel-path) instead
   * of the JS direct path. Default false: the JS direct path is switched off
   * the kernel path per endpoint, so both keep their own coverage.
   */
  kernel?: boolean;
  transport?: NodeTransport;
  /** The adapter's high-water mark (bytes). */
  highWaterMark?: number;
  /** How long the endpoint's `close()` waits for the peer (ms); default 200. */
  linger?: number;
}

const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));
/** A self-signed test-only certificate for localhost, 127.0.0.1 and ::1. */
export const tlsKey = (): Buffer => fixture('tls-key.pem');
export const tlsCert = (): Buffer => fixture('tls-cert.pem');

/** One endpoint: our adapter socket, plus the raw sockets of both sides. */
export interface NodePair {
  endpoint: SpliceSocket<net.Socket>;
  peer: Peer;
  /** The raw server-side socket the peer drives (for TLS: the TLS socket). */
  peerSocket: net.Socket;
}

/** A loopback server that hands out connected endpoint/peer pairs. */
export class NodeLoopback {
  readonly #server: net.Server;
  readonly #accepted: Array<(socket: net.Socket) => void> = [];
  readonly #open = new Set<net.Socket>();
  #dir: string | undefined;
  #chain: Promise<unknown> = Promise.resolve();

  private constructor(readonly options: NodeHarnessOptions, server: net.Server) {
    this.#server = server;
  }

  static async listen(options: NodeHarnessOptions): Promise<NodeLoopback> {
    const server = net.createServer({ allowHalfOpen: true });
    const loop = new NodeLoopback(options, server);
    server.on('connection', (raw) => loop.#onConnection(raw));
    const transport = options.transport ?? 'tcp';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if (transport === 'unix') {
        loop.#dir = mkdtempSync(join(tmpdir(), 'sosplice-'));
        server.listen(join(loop.#dir, 's.sock'), resolve);
      } else server.listen(0, transport === 'tcp6' ? '::1' : '127.0.0.1', resolve);
    });
    return loop;
  }

  #onConnection(raw: net.Socket): void {
    this.#open.add(raw);
    raw.on('close', () => this.#open.delete(raw));
    raw.on('error', () => {});
    const take = this.#accepted.shift();
    if (take === undefined) raw.destroy();
    else take(raw);
  }

  /** A fresh connected pair; calls are serialised so accept order matches. */
  pair(): Promise<NodePair> {
    const next = this.#chain.then(() => this.#pair());
    this.#chain = next.catch(() => {});
    return next;
  }

  async #pair(): Promise<NodePair> {
    const transport = this.options.transport ?? 'tcp';
    const accepted = new Promise<net.Socket>((resolve) => this.#accepted.push(resolve));
    const address = this.#server.address();
    // The raw peers never end on their own: a close() without the peer's FIN
    // waits out its linger, 5 s by default; 200 ms keeps the suites quick.
    const common = { direct: this.options.direct, highWaterMark: this.options.highWaterMark, linger: this.options.linger ?? 200 };
    const endpointPromise =
      transport === 'unix'
        ? connect({ path: address as string, ...common })
        : transport === 'tls'
          ? connect({ tls: { rejectUnauthorized: false }, hostname: '127.0.0.1', port: (address as net.AddressInfo).port, ...common })
          : connect({ hostname: (address as net.AddressInfo).address, port: (address as net.AddressInfo).port, ...common });
    const raw = await accepted;
    let peerSocket: net.Socket = raw;
    if (transport === 'tls') {
      peerSocket = new tls.TLSSocket(raw, { isServer: true, key: tlsKey(), cert: tlsCert() });
      peerSocket.on('error', () => {});
      // Both handshakes done, so a reset reaches an established TLS session.
      await new Promise((resolve) => peerSocket.once('secure', resolve));
    }
    const endpoint = await endpointPromise;
    if (!this.options.kernel) setNativeEnabled(false, endpoint);
    this.#open.add(endpoint.socket);
    endpoint.socket.on('close', () => this.#open.delete(endpoint.socket));
    return { endpoint, peerSocket, peer: makePeer(transport, endpoint, peerSocket, raw) };
  }

  async close(): Promise<void> {
    for (const socket of this.#open) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    // 'close' comes before libuv's closing-handles phase has freed the listening handle, which
    // follows this turn's check phase: the second setImmediate runs after it.
    await new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
    if (this.#dir !== undefined) rmSync(this.#dir, { recursive: true, force: true });
  }
}

const isResetError = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE';
};

/** The kernel socket still has its peer (not CLOSED by an RST); Node's own `remoteAddress` is cached. */
function hasPeer(socket: net.Socket): boolean {
  const handle = (socket as { _handle?: { getpeername?(out: object): number } | null })._handle;
  return handle?.getpeername?.({}) === 0;
}

function makePeer(transport: NodeTransport, endpoint: SpliceSocket<net.Socket>, socket: net.Socket, raw: net.Socket): Peer {
  const parts: Uint8Array[] = [];
  let receivedBytes = 0;
  let waiters: Array<{ n: number; resolve: () => void }> = [];
  socket.on('data', (chunk: Buffer) => {
    parts.push(chunk);
    receivedBytes += chunk.byteLength;
    const ready = waiters.filter((w) => w.n <= receivedBytes);
    waiters = waiters.filter((w) => w.n > receivedBytes);
    for (const w of ready) w.resolve();
  });
  const ended = new Promise<void>((resolve) => socket.once('end', resolve));
  const closing = new Promise<'reset' | 'fin'>((resolve) => {
    // Node 20 at times reports an RST as 'end' (docs/runtimes.md). The kernel
    // tells them apart: after an RST the socket is CLOSED and getpeername()
    // fails; after a FIN it is in CLOSE_WAIT and still has its peer.
    socket.once('end', () => resolve(raw.writableEnded || transport === 'unix' || hasPeer(raw) ? 'fin' : 'reset'));
    socket.on('error', (error) => isResetError(error) && resolve('reset'));
  });
  // Aborted: our socket was destroyed rather than finishing both directions.
  const mine = endpoint.socket;
  const aborted = new Promise<unknown>((resolve) =>
    mine.once('close', () => {
      if (!(mine.writableFinished && mine.readableEnded)) resolve(undefined);
    }),
  );
  return {
    write: (bytes) =>
      new Promise<void>((resolve, reject) => {
        socket.write(bytes, (error) => (error ? reject(error) : resolve()));
      }),
    end: () => new Promise<void>((resolve) => socket.end(resolve)),
    async reset() {
      if (transport === 'unix') {
        // Unix sockets have no RST: inject the error the runtime reports for
        // one (what a TCP reset surfaces as), and drop the peer.
        mine.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -104, syscall: 'read' }));
        raw.destroy();
      } else raw.resetAndDestroy();
      return isResetError;
    },
    received: () => concat(...parts),
    receivedAtLeast(n) {
      if (receivedBytes >= n) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push({ n, resolve }));
    },
    ended: () => ended,
    closing: () => closing,
    aborted: () => aborted,
    stall: () => void socket.pause(),
    resume: () => void socket.resume(),
  };
}

/** A harness factory for the conformance suite. */
export function nodeHarness(options: NodeHarnessOptions): HarnessFactory {
  return async (): Promise<Harness> => {
    const loop = await NodeLoopback.listen(options);
    const transport = options.transport ?? 'tcp';
    if (options.kernel) {
      requireKernelPath();
      // Every splice on the kernel path from its first byte, so that every scenario runs there (test/native/_switches.ts covers the hand-over after kernelAfter() bytes).
      setKernelAfter(0);
    }
    return {
      name: `node:${transport}:${pathName(options)}`,
      features: { byteStream: true, exactChunks: false, direct: options.direct, socket: true, resets: transport !== 'unix' },
      endpoint: () => loop.pair().then(({ endpoint, peer }) => ({ endpoint, peer })),
      dispose: () => loop.close(),
    };
  };
}
