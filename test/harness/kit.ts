/**
 * Socket endpoints built on the socket kit (`@sosplice/core/socket`) over an
 * in-memory transport: what a third-party adapter would build, with the
 * runtime's socket replaced by a queue the peer drives. Its endpoints are
 * lazy and carry the endpoint-level direct mark (SPEC 6.2), so the
 * conformance suite, lazy section included, runs on the kit's direct path in
 * every launcher, browsers too (no runtime API is used).
 *
 * The transport behaves as a socket's does where the suite can tell: bytes
 * are delivered in a later macrotask (as I/O is), a paused read side leaves
 * them in the "kernel" buffer (so the peer's write waits), the FIN comes
 * after every byte before it, a stalled peer makes `write()` take nothing.
 */
import { createSocketDirectProvider, PullTransport, SocketEndpoint, type SocketReadSide, type SocketWriteSide, type SocketTransport } from '@sosplice/core/socket';
import { macrotask, PullMemorySocket } from './kit-pull';
import type { Harness, HarnessFactory, Peer } from '../conformance/_harness';
import { concat } from './_util';

export interface KitHarnessOptions {
  /** Offer the direct path (endpoint and stream marks); `false`: the stream path only. */
  direct: boolean;
  /** A pull-based socket (promise reads and partial writes, as Deno's) under the kit's `PullTransport`. */
  pull?: boolean;
  /** Of each side's queue. Default 4096. */
  highWaterMark?: number;
}

// One provider for every kit endpoint of this module, as an adapter has one.
const provider = createSocketDirectProvider();

class Deferred<T> {
  resolve!: (value: T) => void;
  readonly promise = new Promise<T>((resolve) => (this.resolve = resolve));
}

/** The in-memory "socket": the peer's side of it, and the transport the kit drives. */
class MemorySocket implements SocketTransport {
  read!: SocketReadSide;
  write_!: SocketWriteSide;
  // peer → endpoint: the "kernel receive buffer"
  #inbound: Uint8Array[] = [];
  #inboundBytes = 0;
  #finPending = false;
  #paused = false;
  #scheduled = false;
  #room: Array<() => void> = [];
  // endpoint → peer
  #parts: Uint8Array[] = [];
  #received = 0;
  #waiters: Array<{ n: number; resolve: () => void }> = [];
  #stalled = false;
  #dead = false;
  readonly #ended = new Deferred<void>();
  readonly #aborted = new Deferred<unknown>();
  constructor(readonly limit: number) {}

  // --- SocketTransport ---
  resume(): void {
    this.#paused = false;
    this.#schedule();
  }
  pause(): void {
    this.#paused = true;
  }
  write(bytes: Uint8Array): number {
    if (this.#dead) throw new Error('memory socket: write after reset');
    if (this.#stalled) return 0;
    this.#parts.push(bytes.slice());
    this.#received += bytes.byteLength;
    this.#waiters = this.#waiters.filter((w) => (this.#received >= w.n ? (w.resolve(), false) : true));
    return bytes.byteLength;
  }
  shutdown(): void {
    this.#ended.resolve();
  }
  reset(reason: unknown): void {
    this.#dead = true;
    this.#aborted.resolve(reason);
    this.#wakeWriters();
  }

  // --- the peer ---
  async peerWrite(bytes: Uint8Array): Promise<void> {
    this.#inbound.push(bytes.slice());
    this.#inboundBytes += bytes.byteLength;
    this.#schedule();
    while (this.#inboundBytes >= this.limit && !this.#dead) await new Promise<void>((resolve) => this.#room.push(resolve));
  }
  async peerEnd(): Promise<void> {
    this.#finPending = true;
    this.#schedule();
  }
  async peerReset(): Promise<(error: unknown) => boolean> {
    const error = Object.assign(new Error('memory socket: reset by peer'), { code: 'ECONNRESET' });
    this.#dead = true;
    this.#inbound = [];
    this.#inboundBytes = 0;
    this.#wakeWriters();
    this.read.onError(error);
    this.write_.onError(error);
    return (e) => e === error;
  }
  received(): Uint8Array {
    return concat(...this.#parts);
  }
  receivedAtLeast(n: number): Promise<void> {
    if (this.#received >= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ n, resolve }));
  }
  ended(): Promise<void> {
    return this.#ended.promise;
  }
  aborted(): Promise<unknown> {
    return this.#aborted.promise;
  }
  stall(): void {
    this.#stalled = true;
  }
  resumePeer(): void {
    this.#stalled = false;
    macrotask(() => this.write_.onWritable());
  }

  /** Delivers what the "kernel" holds, in a later macrotask, while the read side wants it. */
  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    macrotask(() => {
      this.#scheduled = false;
      while (!this.#paused && !this.#dead && this.#inbound.length > 0) {
        const chunk = this.#inbound.shift()!;
        this.#inboundBytes -= chunk.byteLength;
        this.read.onData(chunk);
      }
      if (this.#finPending && this.#inbound.length === 0 && !this.#dead) {
        this.#finPending = false;
        this.read.onEnd();
      }
      if (this.#inboundBytes < this.limit) this.#wakeWriters();
    });
  }

  #wakeWriters(): void {
    const room = this.#room;
    this.#room = [];
    for (const resolve of room) resolve();
  }
}

/** A kit endpoint: the kit's `SocketEndpoint`, with its sides in reach of the in-memory socket. */
export class KitEndpoint extends SocketEndpoint {
  get readSide(): SocketReadSide {
    return this.read;
  }

  get writeSide(): SocketWriteSide {
    return this.write;
  }
}

/** One kit endpoint and its peer. */
export function kitEndpoint(options: KitHarnessOptions): { endpoint: KitEndpoint; peer: Peer } {
  const hwm = options.highWaterMark ?? 4096;
  if (options.pull) {
    // A kernel's socket buffer takes a peer's write before anyone reads: far more than the kit's mark.
    const socket = new PullMemorySocket(64 * 1024);
    const transport = new PullTransport(socket, 4096);
    // Paused until the kit wants bytes: a pull-based socket reads only when asked.
    const endpoint = new KitEndpoint(transport, hwm, options.direct ? provider : undefined, true);
    transport.attach(endpoint.readSide, endpoint.writeSide);
    transport.watch();
    return { endpoint, peer: socket.peer };
  }
  const socket = new MemorySocket(hwm);
  const endpoint = new KitEndpoint(socket, hwm, options.direct ? provider : undefined);
  socket.read = endpoint.readSide;
  socket.write_ = endpoint.writeSide;
  const peer: Peer = {
    write: (bytes) => socket.peerWrite(bytes),
    end: () => socket.peerEnd(),
    reset: () => socket.peerReset(),
    received: () => socket.received(),
    receivedAtLeast: (n) => socket.receivedAtLeast(n),
    ended: () => socket.ended(),
    aborted: () => socket.aborted(),
    stall: () => socket.stall(),
    resume: () => socket.resumePeer(),
  };
  return { endpoint, peer };
}

/** The conformance harness over kit endpoints (streams on first access; the generic one has no endpoint mark). */
export function kitHarness(options: KitHarnessOptions): HarnessFactory {
  const factory = async (): Promise<Harness> => ({
    name: `kit:${options.pull ? 'pull' : 'memory'}:${options.direct ? 'direct' : 'generic'}`,
    features: { byteStream: true, exactChunks: false, direct: options.direct, socket: false },
    endpoint: async () => kitEndpoint(options),
    dispose: async () => {},
  });
  return factory;
}
