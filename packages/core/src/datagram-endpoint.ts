/**
 * The runtime-free half of every adapter's datagram endpoint (docs/datagrams.md):
 * the bounded receive queue, the `readable` (one chunk per datagram) and
 * `writable` (one datagram per chunk), the datagram mark, and the direct
 * path between two endpoints (./datagram-direct.ts). An adapter only wires
 * its UDP socket to a {@link DatagramTransport} and calls `receive()`.
 *
 * No runtime can pause UDP reception (Node `dgram`, `Bun.udpSocket`,
 * `Deno.listenDatagram`): datagrams that arrive while nobody reads wait in a
 * queue of at most `queueLimit` datagrams, and what arrives on a full queue
 * is dropped and counted in `dropped`, as the kernel does (and counts) when
 * its own receive buffer is full. No drop goes uncounted.
 */
import { datagramSplice, type DatagramMark } from './datagram.ts';
import { directSplice, type DirectSpliceEnd } from './direct.ts';
import { datagramDirectProvider } from './datagram-direct.ts';
import { checkUnshift } from './unshift.ts';
import type { DatagramAddress, DatagramQueueOptions, DatagramTransport } from './datagram-options.ts';

export type { DatagramQueueOptions, DatagramTransport } from './datagram-options.ts';

/** Bytes the writable queues before `desiredSize` goes to 0. */
const WRITE_HIGH_WATER = 64 * 1024;

export class DatagramEndpoint {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly localAddress: DatagramAddress;
  /** The peer, for a connected endpoint or a session; `undefined` for a bound one. */
  readonly remoteAddress: DatagramAddress | undefined;
  /** Resolved: the socket is bound (and connected, or its peer fixed). */
  readonly opened: Promise<{ localAddress: DatagramAddress; remoteAddress: DatagramAddress | undefined }>;
  /** Resolves when the socket is closed (never rejects). */
  readonly closed: Promise<void>;
  /** Datagrams dropped because the receive queue was full (docs/datagrams.md: no silent drop). */
  dropped = 0;
  /** Datagrams received from the socket (delivered, queued or dropped). */
  received = 0;
  readonly queueLimit: number;
  /** @internal the transport, for the direct path. */
  readonly transport: DatagramTransport;
  /** @internal while a direct splice takes this endpoint's datagrams. */
  divert: ((datagram: Uint8Array) => void) | undefined;
  /**
   * A server's hook: when set, a datagram from a sender without a session
   * opens one ({@link peer}, holding that datagram first) and the session is
   * handed here instead of the datagram going to this endpoint's readable.
   */
  onNewPeer: ((session: DatagramEndpoint, hostname: string, port: number) => void) | undefined;
  /** @internal told when the endpoint closes under a direct splice. */
  onClose: (() => void) | undefined;
  #queue: Uint8Array[] = [];
  #head = 0;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #waiting: (() => void) | undefined;
  #pendingWrites = 0;
  #onWritesSettled: (() => void) | undefined;
  #isClosed = false;
  readonly #direct: boolean;
  #peers: Map<string, DatagramEndpoint> | undefined;
  #resolveClosed!: () => void;

  constructor(transport: DatagramTransport, options: DatagramQueueOptions, local: DatagramAddress, remote?: DatagramAddress) {
    this.transport = transport;
    this.localAddress = local;
    this.remoteAddress = remote;
    this.opened = Promise.resolve({ localAddress: local, remoteAddress: remote });
    this.queueLimit = options.queueLimit ?? 1024;
    this.#direct = options.direct !== false;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    const end: DirectSpliceEnd & { endpoint: DatagramEndpoint } = { provider: datagramDirectProvider, endpoint: this };
    const readMark: DatagramMark = { unshift: (datagram) => this.#putBack(datagram) };
    const writeMark: DatagramMark = { connected: () => transport.connected() };
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (controller) => void (this.#controller = controller),
        pull: (controller) => {
          const next = this.#take();
          if (next !== undefined) return controller.enqueue(next);
          if (this.#isClosed) return controller.close();
          return new Promise<void>((resolve) => (this.#waiting = resolve));
        },
        cancel: () => this.close(),
      },
      { highWaterMark: 0 },
    );
    this.writable = new WritableStream<Uint8Array>(
      {
        write: async (chunk) => {
          try {
            if (!(chunk instanceof Uint8Array)) throw new TypeError('A datagram writable takes Uint8Array chunks');
            await transport.send(chunk);
          } finally {
            if (--this.#pendingWrites === 0) this.#onWritesSettled?.();
          }
        },
        abort: () => this.close(),
      },
      {
        highWaterMark: WRITE_HIGH_WATER,
        size: (chunk) => {
          this.#pendingWrites++;
          return chunk.byteLength;
        },
      },
    );
    for (const [stream, mark] of [[this.readable, readMark], [this.writable, writeMark]] as const) {
      Object.defineProperty(stream, datagramSplice, { value: mark });
      if (options.direct !== false) Object.defineProperty(stream, directSplice, { value: end });
    }
  }

  /** Called by the adapter for each datagram the socket receives. */
  receive(datagram: Uint8Array): void {
    this.received++;
    const divert = this.divert;
    if (divert !== undefined) return divert(datagram);
    const waiting = this.#waiting;
    if (waiting !== undefined) {
      this.#waiting = undefined;
      this.#controller.enqueue(datagram);
      return waiting();
    }
    if (this.#queue.length - this.#head >= this.queueLimit) {
      this.dropped++;
      return;
    }
    this.#queue.push(datagram);
  }

  /**
   * Called by the adapter with the sender's address: a datagram from a peer
   * that has its own endpoint ({@link peer}) goes to that endpoint, any
   * other to this one.
   */
  receiveFrom(datagram: Uint8Array, hostname: string, port: number): void {
    const peer = this.#peers?.get(`${hostname}|${port}`);
    if (peer !== undefined) return peer.receive(datagram);
    const onNewPeer = this.onNewPeer;
    if (onNewPeer === undefined) return this.receive(datagram);
    const session = this.peer(hostname, port);
    session.receive(datagram);
    onNewPeer(session, hostname, port);
  }

  /**
   * An endpoint for one peer over this socket (a server's session with one
   * client): it reads that peer's datagrams and writes to that peer, so it
   * can be a splice's drain. `close()` on it forgets the peer and leaves the
   * socket open.
   */
  peer(hostname: string, port: number, options: DatagramQueueOptions = {}): DatagramEndpoint {
    const key = `${hostname}|${port}`;
    const peers = (this.#peers ??= new Map());
    const known = peers.get(key);
    if (known !== undefined) return known;
    const transport = this.transport;
    const session: DatagramEndpoint = new DatagramEndpoint(
      {
        send: (datagram) => transport.sendTo(datagram, hostname, port),
        sendTo: (datagram, h, p) => transport.sendTo(datagram, h, p),
        connected: () => true,
        close: () => {
          if (peers.get(key) === session) peers.delete(key);
        },
      },
      { queueLimit: options.queueLimit ?? this.queueLimit, direct: options.direct ?? this.#direct },
      this.localAddress,
      { hostname, port },
    );
    peers.set(key, session);
    return session;
  }

  /** Peers with their own endpoint (open sessions). */
  get peers(): number {
    return this.#peers?.size ?? 0;
  }

  /** Datagrams waiting in the receive queue. */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  /** Puts a datagram back at the front of `readable` (docs/contract.md#header-then-splice: refused while it is locked). */
  unshift(datagram: Uint8Array): void {
    this.#putBack(checkUnshift(this.readable, datagram, Math.max(0, -(this.#controller.desiredSize ?? 0))));
  }

  /** Closes the socket; `readable` ends after what is queued. Never rejects. */
  close(): Promise<void> {
    if (this.#isClosed) return this.closed;
    this.#isClosed = true;
    this.transport.close();
    if (this.#peers !== undefined) for (const peer of this.#peers.values()) void peer.close(); // deleting the visited entry is safe in a Map
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (waiting !== undefined) {
      this.#controller.close();
      waiting();
    }
    this.#resolveClosed();
    this.onClose?.();
    return this.closed;
  }

  /** The adapter's socket failed: `readable` errors with the runtime's error. */
  fail(error: unknown): void {
    try {
      this.#controller.error(error);
    } catch {
      // Already closed.
    }
    void this.close();
  }

  /** @internal the next queued datagram, if any. */
  take(): Uint8Array | undefined {
    return this.#take();
  }

  /** @internal whether `readable`'s own queue is empty; a pending pull is let go so later datagrams stay ours. */
  releaseStream(): boolean {
    if ((this.#controller.desiredSize ?? 0) < 0) return false;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.();
    return true;
  }

  /** @internal runs `callback` once every chunk written to `writable` was sent. */
  whenWritesSettled(callback: () => void): void {
    if (this.#pendingWrites === 0) return callback();
    this.#onWritesSettled = () => {
      this.#onWritesSettled = undefined;
      callback();
    };
  }

  /** @internal puts a datagram back first, whatever the lock. */
  putBack(datagram: Uint8Array): void {
    this.#putBack(datagram);
  }

  #putBack(datagram: Uint8Array): void {
    if (this.#head > 0) this.#queue[--this.#head] = datagram;
    else this.#queue.unshift(datagram);
  }

  #take(): Uint8Array | undefined {
    if (this.#head === this.#queue.length) return undefined;
    const datagram = this.#queue[this.#head]!;
    this.#queue[this.#head++] = undefined as never;
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return datagram;
  }
}
