/**
 * The transport: the one file that calls Node's socket API
 * (https://nodejs.org/api/net.html#class-netsocket) for the socket kit of
 * `@sosplice/core/socket`. It feeds the socket's events to the kit's read
 * and write sides, writes and half-closes for them, closes the socket
 * (`close()` with FIN and a bounded linger, docs/adapters.md#closing), and
 * records why the socket failed, so that a stream closed underneath reports
 * the reason it was given. The kernel hook (./kernel.ts) also reaches the
 * socket's handle, for the fd.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { SocketClosedError, formatAddress, type SocketInfo, type SocketReadSide, type SocketTransport, type SocketWriteSide } from '@sosplice/core/socket';
import { resetAndDestroy, resetBehindEof } from './reset.ts';

/** The transport of each wrapped socket; also what tells that a socket was wrapped already. */
const transports = new WeakMap<net.Socket, NodeTransport>();

/** How the socket ended, recorded at its `'close'` (so that `closed` can be made on first access). */
type Ending = { ok: true } | { ok: false; error: unknown };

export const closedByClose = (): SocketClosedError => new SocketClosedError('The socket was closed by close()');

export class NodeTransport implements SocketTransport {
  /** Set by `close()`: reads are dropped, the write side finishes with a FIN. */
  closing = false;
  /** The error the socket failed with, or the reason it was reset by `abort()` / `cancel()`. */
  failure: unknown = undefined;
  failed = false;
  /** The socket was connected (TLS: handshake done) when wrapped, or has connected since. */
  wasOpen = false;
  readSide!: SocketReadSide;
  writeSide!: SocketWriteSide;
  /** A kernel run holds the socket as its drain (./kernel.ts): our FIN waits until it lets go. */
  kernelDrain = false;
  #ending: Ending | undefined;
  #closed: Promise<void> | undefined;
  #settle: ((ending: Ending) => void) | undefined;
  #linger: ReturnType<typeof setTimeout> | undefined;
  #closeCall: Promise<void> | undefined;

  constructor(
    readonly socket: net.Socket,
    readonly highWaterMark: number,
    /** A Unix socket's path, known to connect() and listen() (Node has no getpeername for pipes). */
    readonly unixPath?: { local?: string; remote?: string },
  ) {}

  static of(socket: net.Socket): NodeTransport | undefined {
    return transports.get(socket);
  }

  /** Starts feeding the socket's events to the sides. */
  attach(read: SocketReadSide, write: SocketWriteSide): void {
    this.readSide = read;
    this.writeSide = write;
    const socket = this.socket;
    transports.set(socket, this);
    // Half-close (docs/adapters.md): Node reads this flag when the peer's FIN arrives.
    socket.allowHalfOpen = true;
    // The same listener functions for every socket (per-socket closures are
    // memory at thousands of idle connections); each finds its transport by
    // the socket it is called on.
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('drain', onDrain);
    socket.on('error', onError);
    socket.on('close', onClose);
    // The peer's FIN was consumed before we were given the socket ('end'
    // fired, Node holds no bytes): the readable starts at EOF.
    if (socket.readableEnded) read.onEnd();
    this.wasOpen = this.open;
    if (!this.wasOpen) socket.once(this.openEvent, onConnect);
  }

  // --- SocketTransport ---

  resume(): void {
    this.socket.resume();
  }

  pause(): void {
    this.socket.pause();
  }

  /**
   * Takes `bytes` whole, or none while Node holds `highWaterMark` bytes and
   * will say 'drain' (docs/adapters.md: the writable counts bytes; Node's
   * own mark is 16 KiB). Never corked: a write goes to the kernel now. A
   * cork until the next tick (tried, to send a head and its body in one
   * syscall) cost an HTTP gateway ~4 % of its CPU per request and a tick of
   * latency, and a gateway joins a head and a short body itself.
   */
  write(bytes: Uint8Array): number {
    const socket = this.socket;
    if (socket.destroyed || socket.writableEnded) throw this.closedError();
    if (socket.writableNeedDrain && socket.writableLength >= this.highWaterMark) return 0;
    socket.write(bytes);
    return bytes.byteLength;
  }

  /**
   * FIN after what Node still holds: a half-close. Settles once sent, or
   * when the socket is destroyed first: with why (a reset we sent, the
   * runtime's error), not Node's generic "destroyed".
   */
  shutdown(): Promise<void> {
    // Node never calls end()'s callback on a socket destroyed without an error before the call
    // (its 'close' is still to come, and the side still open): say why now (docs/runtimes.md).
    if (this.socket.destroyed) return Promise.reject(this.closedError());
    return new Promise<void>((resolve, reject) => void this.socket.end((error?: Error | null) => (error ? reject(this.failed ? this.failure : error) : resolve())));
  }

  /** `abort()` / `cancel()`: an RST where Node can send one (docs/adapters.md#resets), remembering why. */
  reset(reason: unknown): void {
    this.fail(reason === undefined ? new SocketClosedError('The socket was destroyed by abort() or cancel()') : reason);
    resetAndDestroy(this.socket);
  }

  get readBuffered(): number {
    return this.socket.readableLength;
  }

  get writeBuffered(): number {
    return this.socket.writableLength;
  }

  // --- failures ---

  /** Fails the socket with `error` as if Node had seen it (the kernel path saw it first). */
  destroyWith(error: unknown): void {
    this.socket.destroy(error as Error);
  }

  /** Records the first failure; later ones are consequences of it. */
  fail(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.failure = error;
  }

  /** The error a side reports when the socket closed before that side finished. */
  closedError(): unknown {
    return this.failed ? this.failure : this.closing ? closedByClose() : new SocketClosedError();
  }

  // --- opened, closed, close() ---

  /** The socket is connected (TLS: its handshake is done). */
  get open(): boolean {
    const socket = this.socket;
    if (socket.connecting || socket.destroyed) return false;
    // getProtocol() is null until the handshake finishes (node:tls docs).
    if (socket instanceof tls.TLSSocket) return socket.getProtocol() !== null && socket.getProtocol() !== 'unknown';
    return !socket.pending;
  }

  /**
   * The event that says the socket is open: 'connect', or for TLS
   * 'secureConnect' on a client (after the certificate check; its 'secure'
   * comes before it) and 'secure' on a server.
   */
  get openEvent(): 'connect' | 'secureConnect' | 'secure' {
    if (!(this.socket instanceof tls.TLSSocket)) return 'connect';
    return (this.socket as { _tlsOptions?: { isServer?: boolean } })._tlsOptions?.isServer ? 'secure' : 'secureConnect';
  }

  /** WinterTC's SocketInfo, read from the socket now. */
  info(): SocketInfo {
    const socket = this.socket;
    const at = (host: string | undefined, port: number | undefined): string | null =>
      host === undefined || port === undefined ? null : formatAddress({ hostname: host, port });
    return {
      remoteAddress: this.unixPath?.remote ?? at(socket.remoteAddress, socket.remotePort),
      localAddress: this.unixPath?.local ?? at(socket.localAddress, socket.localPort),
    };
  }

  /** Resolves once the socket is closed; rejects with its failure. Made on first use. */
  get closed(): Promise<void> {
    if (this.#closed !== undefined) return this.#closed;
    const ending = this.#ending;
    if (ending !== undefined) this.#closed = ending.ok ? Promise.resolve() : Promise.reject(ending.error);
    else this.#closed = new Promise<void>((resolve, reject) => (this.#settle = (e) => (e.ok ? resolve() : reject(e.error))));
    // Nobody has to observe `closed`: a failure is reported by the streams too.
    this.#closed.catch(() => {});
    return this.#closed;
  }

  /**
   * docs/adapters.md#closing: reads stop; FIN once the bytes already queued
   * went to Node (Node sends them first); resolves at the socket's
   * `'close'`: the peer finished too, or `linger` ms passed and the socket
   * was destroyed. Never rejects; idempotent.
   */
  close(linger: number): Promise<void> {
    if (this.#closeCall !== undefined) return this.#closeCall;
    this.#closeCall = this.closed.catch(() => {});
    if (this.#ending !== undefined || this.socket.destroyed) return this.#closeCall;
    this.closing = true;
    // What is unread is dropped and the readable ends (a splice from it at
    // EOF); the socket reads on, dropping, so that the peer's FIN is seen.
    this.readSide.queue.clear();
    this.readSide.onEnd();
    this.socket.resume();
    if (linger === 0) {
      this.socket.destroy();
      return this.#closeCall;
    }
    this.#finish();
    this.#linger = setTimeout(destroyAfterLinger, linger, this.socket);
    return this.#closeCall;
  }

  /**
   * The write side of close(): the chunks already queued go out, then FIN;
   * whoever holds the side (a splice, a writer) hears at once that the
   * socket is closing, and later writes are refused with SocketClosedError.
   */
  #finish(): void {
    const write = this.writeSide;
    if (write.phase !== 'open') return;
    // Chunks wait in the writable's own queue and nobody holds it: its close takes them first, then FIN.
    const streamQueued = write.buffered - write.outbox.size - this.socket.writableLength;
    if (streamQueued > 0 && !write.writable.locked) return void write.writable.close().catch(() => {});
    // Bytes the kit holds (a chunk a stalled peer had no room for, counted if a splice sent it) go to Node, in order.
    for (let chunk = write.outbox.shift(); chunk !== undefined; chunk = write.outbox.shift()) this.socket.write(chunk);
    // A splice writing here ends now with this error, a writer's stream errors with it.
    write.onError(closedByClose());
    this.finAfterKernel();
  }

  /** FIN, once no kernel run writes the socket's fd any more (it calls this again when it lets go). */
  finAfterKernel(): void {
    if (this.closing && !this.kernelDrain && !this.socket.writableEnded && !this.socket.destroyed) this.socket.end();
  }

  onClose(): void {
    clearTimeout(this.#linger);
    const read = this.readSide;
    const write = this.writeSide;
    const writeOpen = write.phase === 'open' || write.phase === 'closing';
    // Destroyed underneath a write side that had not finished: a failure, unless close() ended it (its linger).
    if (writeOpen && !this.closing) this.fail(new SocketClosedError());
    // A side still open fails with why; an error is made only then (not for every connection that ends well).
    if (read.phase === 'open' || writeOpen) {
      const error = this.closedError();
      read.onError(error);
      write.onError(error);
    }
    this.#ending = this.failed ? { ok: false, error: this.failure } : { ok: true };
    this.#settle?.(this.#ending);
    this.#settle = undefined;
  }
}

const destroyAfterLinger = (socket: net.Socket): void => void socket.destroy();

// Socket listeners, shared by every wrapped socket: Node calls them with `this` = the socket.
function onData(this: net.Socket, chunk: Uint8Array): void {
  const transport = transports.get(this)!;
  // After close(): bytes nobody will read.
  if (!transport.closing) transport.readSide.onData(chunk);
}
function onEnd(this: net.Socket): void {
  // Node 20: a reset seen while paused comes as 'end' (./reset.ts).
  const reset = resetBehindEof(this);
  if (reset !== undefined) this.destroy(reset);
  else transports.get(this)!.readSide.onEnd();
}
function onDrain(this: net.Socket): void {
  transports.get(this)!.writeSide.onWritable();
}
function onError(this: net.Socket, error: unknown): void {
  const transport = transports.get(this)!;
  transport.fail(error);
  transport.readSide.onError(error);
  transport.writeSide.onError(error);
}
function onConnect(this: net.Socket): void {
  transports.get(this)!.wasOpen = true;
}
function onClose(this: net.Socket): void {
  transports.get(this)!.onClose();
}
