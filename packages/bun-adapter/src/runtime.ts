/**
 * The transport: the only file that calls Bun's socket API (`Bun.connect`,
 * `Bun.listen`, the socket handlers, `write` / `pause` / `shutdown` /
 * `terminate`; https://bun.sh/docs/api/tcp). Bun's types are declared
 * structurally, so the published `.d.ts` never needs `@types/bun`.
 *
 * Bun gives handlers per listener or connection, not per socket: one shared
 * handler object dispatches through `socket.data` to the socket's
 * {@link SocketState}. Read side: chunks from `data` go to a direct route
 * when one is set, else into a pending BYOB request, else into `inbox`; the
 * socket is paused while `inbox` holds `highWaterMark` bytes. Write side:
 * Bun's `write()` accepts part and keeps nothing (docs/runtimes.md#bun), so
 * the unaccepted tail waits in `outbox` and goes out on `drain`, first.
 */
import { SocketClosedError, wrongRuntime } from '@sosplice/core/socket';
import { ReadSide } from './readable.ts';

/** Bun's `Socket` (`Bun.connect` / `Bun.listen`), as far as the adapter uses it. */
export interface BunSocket<Data = unknown> {
  data: Data;
  /** Returns the bytes accepted (0 when the kernel buffer is full, -1 when closed); keeps none of the rest. */
  write(data: string | ArrayBufferView | ArrayBuffer): number;
  /** Flushes, then closes the socket fully (even with `allowHalfOpen`). */
  end(): void;
  /** No argument: FIN (`SHUT_WR`); `true`: shuts the read side. */
  shutdown(halfClose?: boolean): void;
  /** Closes at once with an RST. */
  terminate(): void;
  /** Stops kernel reads (not in the type declarations of Bun 1.4.5, present at runtime). */
  pause(): void;
  resume(): void;
  /** Swaps the socket's handlers. */
  reload(options: { socket: BunHandlers }): void;
  readonly remoteAddress?: string;
  readonly remotePort?: number;
  readonly localAddress?: string;
  readonly localPort?: number;
  /** Negative once closed. */
  readonly readyState: number | string;
}

/** TLS options as Bun takes them (`tls: true` on a client uses the defaults). */
export interface BunTLSOptions {
  cert?: unknown;
  key?: unknown;
  ca?: unknown;
  passphrase?: string;
  serverName?: string;
  rejectUnauthorized?: boolean;
  [option: string]: unknown;
}

/** Bun's socket handler object. */
export interface BunHandlers {
  binaryType?: 'buffer';
  open?(socket: BunSocket): void;
  handshake?(socket: BunSocket, success: boolean, authorizationError: Error | null): void;
  data?(socket: BunSocket, data: Uint8Array): void;
  drain?(socket: BunSocket): void;
  end?(socket: BunSocket): void;
  close?(socket: BunSocket, error?: Error): void;
  error?(socket: BunSocket, error: Error): void;
  timeout?(socket: BunSocket): void;
}

/** Bun's listener (`Bun.listen`'s result). */
export interface BunListener {
  stop(closeActiveConnections?: boolean): void;
  readonly port?: number;
  readonly hostname?: string;
}

interface BunGlobal {
  connect(options: Record<string, unknown>): Promise<BunSocket>;
  listen(options: Record<string, unknown>): BunListener;
}

/** `globalThis.Bun`, or the one clear error when the adapter runs elsewhere. */
export function getBun(): BunGlobal {
  const bun = (globalThis as { Bun?: BunGlobal }).Bun;
  if (bun === undefined) throw wrongRuntime('@sosplice/bun-adapter', 'the Bun runtime (globalThis.Bun is undefined)');
  return bun;
}

/** Bun's sockets are native objects: recognised by the methods the adapter calls (a listener has no `write`). */
export function isBunSocket(value: unknown): value is BunSocket {
  if (typeof value !== 'object' || value === null) return false;
  const socket = value as Record<string, unknown>;
  return ['write', 'end', 'shutdown', 'terminate', 'pause', 'resume', 'reload'].every((method) => typeof socket[method] === 'function');
}

/** Bun reports a closed socket (terminated, ended, or closed by the peer) as `readyState` -1. */
export function isClosedSocket(socket: BunSocket): boolean {
  const state = socket.readyState;
  return typeof state === 'number' ? state < 0 : state === 'closed';
}

/**
 * Bun's `write()` returns -1 once the kernel failed a write (the peer reset
 * or closed the connection) and then reports a plain `end` and `close`
 * without the errno. This is the error Node reports in that case.
 */
export function writeEpipeError(): Error & { code: string } {
  return Object.assign(new Error('write EPIPE: the peer closed or reset the connection'), { code: 'EPIPE', errno: -32, syscall: 'write' });
}

/** The side of a direct route that writes into this socket. */
export interface DrainOwner {
  /** `outbox` became empty. */
  onOutboxEmpty(): void;
  /** The drain failed. */
  onDrainError(error: unknown): void;
}

/** What the transport tells its endpoint. */
export interface SocketOwner {
  /** The socket closed; `error` when it failed. */
  onClosed(error: unknown): void;
}

/** One socket's transport: read side (in {@link ReadSide}), write side, lifetime. */
export class SocketState extends ReadSide {
  // --- write side ---
  readonly outbox: Uint8Array[] = [];
  /** Bytes handed to this socket that Bun has not accepted yet. */
  outboxBytes = 0;
  writeEnded = false;
  writeError: unknown = undefined;
  writeFailed = false;
  /** `close()` was called: only bytes queued before it still go out. */
  writeClosing = false;
  /** A write found the connection gone before Bun reported it (see `writeEpipeError`). */
  writeLost = false;
  wc: WritableStreamDefaultController | undefined = undefined;
  drainOwner: DrainOwner | undefined = undefined;
  private emptyWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  owner: SocketOwner | undefined = undefined;

  constructor(socket: BunSocket, highWaterMark: number) {
    super(socket, highWaterMark);
  }

  // --- Bun's socket calls ---

  pause(): void {
    this.paused = true;
    if (!this.isClosed) this.socket.pause();
  }

  resume(): void {
    this.paused = false;
    if (!this.isClosed) this.socket.resume();
  }

  /** Destroys the socket with an RST on TCP and TLS (docs/adapters.md#resets); a no-op once closed. */
  destroy(): void {
    if (!this.isClosed) this.socket.terminate();
  }

  // --- write side ---

  /**
   * Hands `chunk` to the socket after whatever is still waiting. Returns
   * `true` when Bun took all of it now. Throws the write side's error;
   * `queuedBeforeClose` lets a chunk written before `close()` through.
   */
  send(chunk: Uint8Array, queuedBeforeClose = false): boolean {
    if (this.writeFailed) throw this.writeError;
    if (this.writeEnded || (this.writeClosing && !queuedBeforeClose)) throw new SocketClosedError();
    if (this.outboxBytes === 0) {
      const n = this.socket.write(chunk);
      if (n === chunk.byteLength) return true;
      if (n < 0) throw this.failWrite(this.lostError());
      if (n > 0) chunk = chunk.subarray(n);
    }
    this.outbox.push(chunk);
    this.outboxBytes += chunk.byteLength;
    return false;
  }

  /** Throws the write side's error once it failed, was shut down or closed; a later `send()` would throw it too. */
  assertWritable(): void {
    if (this.writeFailed) throw this.writeError;
    if (this.writeEnded || this.writeClosing) throw new SocketClosedError();
  }

  /** Resolves once `outbox` is empty; rejects with the write side's error. */
  whenOutboxEmpty(): Promise<void> {
    if (this.writeFailed) return Promise.reject(this.writeError);
    if (this.outboxBytes === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.emptyWaiters.push({ resolve, reject }));
  }

  /** Bun `drain`: writes the waiting tail, oldest first. */
  onDrain(): void {
    const outbox = this.outbox;
    while (outbox.length > 0) {
      const chunk = outbox[0]!;
      const n = this.socket.write(chunk);
      if (n < 0) {
        this.failWrite(this.lostError());
        return;
      }
      this.outboxBytes -= n;
      if (n < chunk.byteLength) {
        outbox[0] = chunk.subarray(n);
        return;
      }
      outbox.shift();
    }
    const waiters = this.emptyWaiters;
    if (waiters.length > 0) {
      this.emptyWaiters = [];
      for (const w of waiters) w.resolve();
    }
    this.drainOwner?.onOutboxEmpty();
  }

  /** FIN after everything handed over was written (`writable.close()`, `close()`). */
  async shutdown(): Promise<void> {
    await this.whenOutboxEmpty();
    if (this.writeEnded) return;
    this.writeEnded = true;
    // shutdown() with no argument is SHUT_WR; end() would close both sides (docs/runtimes.md#bun).
    if (!this.isClosed) this.socket.shutdown();
  }

  /** Why a write found the socket gone: closed by us, or lost to the peer. */
  private lostError(): unknown {
    if (this.isClosed) return new SocketClosedError();
    this.writeLost = true;
    return writeEpipeError();
  }

  private failWrite(error: unknown): unknown {
    if (this.writeFailed) return this.writeError;
    this.writeFailed = true;
    this.writeError = error;
    this.outbox.length = 0;
    this.outboxBytes = 0;
    const waiters = this.emptyWaiters;
    this.emptyWaiters = [];
    for (const w of waiters) w.reject(error);
    try {
      this.wc?.error(error);
    } catch {
      // Already errored or closed.
    }
    this.drainOwner?.onDrainError(error);
    return error;
  }

  // --- socket events ---

  /** Bun `end`: the peer's FIN. Our write side stays open (`allowHalfOpen`). */
  onEnd(): void {
    // After a lost write Bun reports the dead connection as a clean end: it is the write's error.
    if (this.writeLost && !this.readEnded) return this.onError(this.writeError);
    this.endRead();
  }

  /** Bun `error` / `close(error)`: both directions fail with the runtime's error. */
  onError(error: unknown): void {
    this.failRead(error);
    if (!this.writeEnded || this.outboxBytes > 0) this.failWrite(error);
  }

  /** Bun `close`. Without an error a close reads as EOF (Bun closes after both FINs without `end`). */
  onClose(error?: unknown): void {
    if (this.isClosed) return;
    if (error !== undefined && error !== null) this.onError(error);
    this.isClosed = true;
    this.onEnd();
    if (!this.writeEnded) this.failWrite(new SocketClosedError());
    this.owner?.onClosed(error ?? (this.writeLost ? this.writeError : undefined));
  }
}

/**
 * `socket.data` of a socket until it is usable (TLS: handshake done): the
 * listener or `connect()` call waiting for it, given to Bun as `data`.
 */
export interface Opening {
  /** The socket is usable: make it an adapter socket (sets `socket.data`). */
  usable(socket: BunSocket): void;
  /** It closed or failed first (a failed TLS handshake, say). */
  failed(error: unknown): void;
}

const closedBeforeOpen = (): Error => new SocketClosedError('The socket closed before it was usable');

/** The event handlers of every adapter socket, one object per kind, shared by all sockets. */
function handlers(tls: boolean): BunHandlers {
  const stateOf = (socket: BunSocket): SocketState | undefined => (socket.data instanceof SocketState ? socket.data : undefined);
  const failOpening = (socket: BunSocket, error: unknown): void => (socket.data as Opening | undefined)?.failed?.(error);
  return {
    binaryType: 'buffer',
    open: tls ? undefined : (socket) => (socket.data as Opening).usable(socket),
    handshake: tls
      ? (socket, success, authorizationError) => {
          if (stateOf(socket) !== undefined) return;
          if (success) return (socket.data as Opening).usable(socket);
          failOpening(socket, authorizationError ?? new Error('TLS handshake failed'));
          socket.terminate();
        }
      : undefined,
    data: (socket, data) => stateOf(socket)?.onData(data),
    drain: (socket) => stateOf(socket)?.onDrain(),
    end: (socket) => stateOf(socket)?.onEnd(),
    close(socket, error) {
      const state = stateOf(socket);
      if (state !== undefined) state.onClose(error);
      else failOpening(socket, error ?? closedBeforeOpen());
    },
    error(socket, error) {
      const state = stateOf(socket);
      if (state !== undefined) state.onError(error);
      else failOpening(socket, error);
    },
    // Bun's own timeout ticks every 4 s; `idle` is the core's (docs/runtimes.md#bun).
    timeout() {},
  };
}

const PLAIN = handlers(false);
const TLS = handlers(true);

/** `Bun.connect` with the adapter's handlers; `opening` learns when the socket is usable. */
export function bunConnect(where: Record<string, unknown>, tls: unknown, opening: Opening): Promise<BunSocket> {
  const options = { ...where, allowHalfOpen: true, data: opening, socket: tls ? TLS : PLAIN };
  return getBun().connect(tls ? { ...options, tls } : options);
}

/** `Bun.listen` with the adapter's handlers; `opening` gets each accepted socket once usable. */
export function bunListen(where: Record<string, unknown>, tls: unknown, opening: Opening): BunListener {
  const options = { ...where, allowHalfOpen: true, data: opening, socket: tls ? TLS : PLAIN };
  return getBun().listen(tls ? { ...options, tls } : options);
}

/** Takes over a socket made with Bun directly: its handlers become the adapter's (`wrap()`). */
export function takeOver(socket: BunSocket, state: SocketState): void {
  socket.data = state;
  socket.reload({ socket: PLAIN });
}
