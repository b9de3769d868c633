/**
 * The transport: the one file that calls Node's socket API
 * (https://nodejs.org/api/net.html#class-netsocket). It owns a wrapped
 * socket's events, its flow, its writes and its ending (`close()` with FIN
 * and a bounded linger, docs/adapters.md#closing), and records why the
 * socket failed, so that a stream closed underneath reports the reason it
 * was given. The read side (./readable.ts), the write side (./writable.ts)
 * and the direct paths (./direct.ts, ./kernel.ts) reach the socket through
 * it.
 */
import net from 'node:net';
import tls from 'node:tls';
import { SocketClosedError, formatAddress, type SocketInfo } from '@sosplice/core/socket';
import type { ReadSide } from './readable.ts';
import { resetAndDestroy, resetBehindEof } from './reset.ts';
import type { WriteSide } from './writable.ts';

/** The transport of each wrapped socket; also what tells that a socket was wrapped already. */
const transports = new WeakMap<net.Socket, NodeTransport>();

/** How the socket ended, recorded at its `'close'` (so that `closed` can be made on first access). */
type Ending = { ok: true } | { ok: false; error: unknown };

export class NodeTransport {
  /** Set by `close()`: the readable ended on purpose and the write side finishes with a FIN. */
  closing = false;
  /** The error the socket failed with, or the reason it was destroyed by `abort()` / `cancel()`. */
  failure: unknown = undefined;
  failed = false;
  /** The socket was connected (TLS: handshake done) when wrapped, or has connected since. */
  wasOpen = false;
  readSide!: ReadSide;
  writeSide!: WriteSide;
  #ending: Ending | undefined;
  #closed: Promise<void> | undefined;
  #settle: ((ending: Ending) => void) | undefined;
  #linger: ReturnType<typeof setTimeout> | undefined;
  #closeCall: Promise<void> | undefined;

  constructor(
    readonly socket: net.Socket,
    /** A Unix socket's path, known to connect() and listen() (Node has no getpeername for pipes). */
    readonly unixPath?: { local?: string; remote?: string },
  ) {}

  static of(socket: net.Socket): NodeTransport | undefined {
    return transports.get(socket);
  }

  /** Starts listening to the socket (once the sides exist). */
  attach(read: ReadSide, write: WriteSide): void {
    this.readSide = read;
    this.writeSide = write;
    transports.set(this.socket, this);
    // Half-close (docs/adapters.md): Node reads this flag when the peer's FIN arrives.
    this.socket.allowHalfOpen = true;
    // The same listener functions for every socket (per-socket closures are
    // memory at thousands of idle connections); each finds its transport by
    // the socket it is called on.
    this.socket.on('data', onData);
    this.socket.on('end', onEnd);
    this.socket.on('drain', onDrain);
    this.socket.on('finish', onFinish);
    this.socket.on('error', onError);
    this.socket.on('close', onClose);
    this.wasOpen = this.open;
    if (!this.wasOpen) this.socket.once(this.openEvent, onConnect);
  }

  // --- flow and writes ---

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Node's own buffers: bytes read and not yet emitted, bytes written and not yet in the kernel. */
  get readableLength(): number {
    return this.socket.readableLength;
  }

  get writableLength(): number {
    return this.socket.writableLength;
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  /** Our write side can still send: not ended (FIN), not destroyed, not failed. */
  get writable(): boolean {
    return !this.failed && !this.socket.destroyed && !this.socket.writableEnded;
  }

  /**
   * Writes `chunk`; false once Node holds `highWaterMark` bytes or more
   * (the caller waits for `'drain'`). Writes of one tick leave in one
   * syscall (a head written here, then a spliced body): Node itself corks
   * only inside http.
   */
  send(chunk: Uint8Array, highWaterMark: number): boolean {
    const socket = this.socket;
    if (socket.writableCorked === 0) {
      socket.cork();
      process.nextTick(uncork, socket);
    }
    return socket.write(chunk) || socket.writableLength < highWaterMark;
  }

  /** Writes `chunk` without corking (the direct paths); false means wait for `'drain'`. */
  write(chunk: Uint8Array, done?: () => void): boolean {
    return this.socket.write(chunk, done);
  }

  /** FIN after what Node still holds: a half-close. */
  end(): void {
    this.socket.end();
  }

  on(event: 'drain', listener: () => void): void {
    this.socket.on(event, listener);
  }

  off(event: 'drain', listener: () => void): void {
    this.socket.off(event, listener);
  }

  // --- failures ---

  /**
   * Destroys the socket with an RST where it can, remembering why
   * (docs/adapters.md: abort and cancel destroy, and a reset travels to the far peer).
   */
  destroy(reason: unknown): void {
    this.fail(reason === undefined ? new SocketClosedError('The socket was destroyed by abort() or cancel()') : reason);
    resetAndDestroy(this.socket);
  }

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
    return this.failed ? this.failure : new SocketClosedError();
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
   * reached Node (Node sends them first); resolves at the socket's
   * `'close'`: the peer finished too, or `linger` ms passed and the socket
   * was destroyed. Never rejects; idempotent.
   */
  close(linger: number): Promise<void> {
    if (this.#closeCall !== undefined) return this.#closeCall;
    this.#closeCall = this.closed.catch(() => {});
    if (this.#ending !== undefined || this.socket.destroyed) return this.#closeCall;
    this.closing = true;
    this.readSide.shut();
    if (linger === 0) {
      this.socket.destroy();
      return this.#closeCall;
    }
    this.writeSide.shut();
    this.#linger = setTimeout(destroyAfterLinger, linger, this.socket);
    return this.#closeCall;
  }

  onClose(): void {
    clearTimeout(this.#linger);
    this.readSide.onClose();
    this.writeSide.onClose();
    this.#ending = this.failed ? { ok: false, error: this.failure } : { ok: true };
    this.#settle?.(this.#ending);
    this.#settle = undefined;
  }
}

const uncork = (socket: net.Socket): void => void socket.uncork();
const destroyAfterLinger = (socket: net.Socket): void => void socket.destroy();

// Socket listeners, shared by every wrapped socket: Node calls them with `this` = the socket.
function onData(this: net.Socket, chunk: Uint8Array): void {
  transports.get(this)!.readSide.onData(chunk);
}
function onEnd(this: net.Socket): void {
  // Node 20: a reset seen while paused comes as 'end' (./reset.ts).
  const reset = resetBehindEof(this);
  if (reset !== undefined) this.destroy(reset);
  else transports.get(this)!.readSide.onEnd();
}
function onDrain(this: net.Socket): void {
  transports.get(this)!.writeSide.onDrain();
}
function onFinish(this: net.Socket): void {
  transports.get(this)!.writeSide.onFinish();
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
