/**
 * The transport: the only file that calls Bun's socket API (`Bun.connect`,
 * `Bun.listen`, the socket handlers, `write` / `pause` / `shutdown` /
 * `terminate`; https://bun.sh/docs/api/tcp). Bun's types are declared
 * structurally, so the published `.d.ts` never needs `@types/bun`.
 *
 * Bun gives handlers per listener or connection, not per socket: two shared
 * handler objects (plain, TLS) dispatch through `socket.data` to the
 * socket's {@link BunTransport}, which hands each event to the socket kit's
 * read or write side (`@sosplice/core/socket`). Bun's `write()` accepts part
 * and keeps nothing (docs/runtimes.md#bun): the kit keeps the tail and
 * offers it again on `drain`.
 */
import { SocketClosedError, wrongRuntime, type SocketReadSide, type SocketTransport, type SocketWriteSide } from '@sosplice/core/socket';

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

/** What the transport tells its endpoint. */
export interface SocketOwner {
  /** The socket closed; `error` when it failed. */
  onClosed(error: unknown): void;
}

/**
 * One Bun socket as the socket kit's transport (`@sosplice/core/socket`):
 * the kit's sides call `resume` / `pause` / `write` / `shutdown` / `reset`,
 * and Bun's events, dispatched here through `socket.data`, go to the sides.
 */
export class BunTransport implements SocketTransport {
  readonly socket: BunSocket;
  readSide!: SocketReadSide;
  writeSide!: SocketWriteSide;
  owner: SocketOwner | undefined;
  isClosed = false;
  /** `close()` was called: reads go on, dropped by the read side, so that the peer's FIN is seen. */
  draining = false;
  /** A write found the connection gone before Bun reported it (see `writeEpipeError`). */
  lost: unknown = undefined;

  constructor(socket: BunSocket) {
    this.socket = socket;
  }

  // --- SocketTransport: the kit's calls ---

  resume(): void {
    if (!this.isClosed) this.socket.resume();
  }

  pause(): void {
    if (!this.isClosed && !this.draining) this.socket.pause();
  }

  /** Bun takes part and keeps none of the rest; -1: the connection is gone (docs/runtimes.md#bun). */
  write(bytes: Uint8Array): number {
    const n = this.socket.write(bytes);
    if (n >= 0) return n;
    if (this.isClosed) throw new SocketClosedError();
    this.lost ??= writeEpipeError();
    throw this.lost;
  }

  /** `shutdown()` with no argument is SHUT_WR; `end()` would close both sides (docs/runtimes.md#bun). */
  shutdown(): void {
    if (!this.isClosed) this.socket.shutdown();
  }

  /** Closes at once, after both FINs (`end()` flushes, then closes both directions). */
  end(): void {
    if (!this.isClosed) this.socket.end();
  }

  /** `terminate()`: an RST on TCP and TLS (docs/adapters.md#resets). */
  reset(): void {
    if (!this.isClosed) this.socket.terminate();
  }

  // --- Bun's events ---

  /** The peer's FIN. Our write side stays open (`allowHalfOpen`). */
  onEnd(): void {
    // After a lost write Bun reports the dead connection as a clean end: it is the write's error.
    if (this.lost !== undefined) return this.onError(this.lost);
    this.readSide.onEnd();
  }

  /** Both directions fail with the runtime's error. */
  onError(error: unknown): void {
    this.readSide.onError(error);
    this.writeSide.onError(error);
  }

  /** Without an error a close reads as EOF (Bun closes after both FINs without `end`). */
  onClose(error?: unknown): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (error !== undefined && error !== null) this.onError(error);
    else this.onEnd();
    // A write side still open fails (after its FIN nothing changes: no error is made for nothing).
    const phase = this.writeSide.phase;
    if (phase === 'open' || phase === 'closing') this.writeSide.onError(this.lost ?? new SocketClosedError());
    this.owner?.onClosed(error ?? this.lost);
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
  const stateOf = (socket: BunSocket): BunTransport | undefined => (socket.data instanceof BunTransport ? socket.data : undefined);
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
    data: (socket, data) => stateOf(socket)?.readSide.onData(data),
    drain: (socket) => stateOf(socket)?.writeSide.onWritable(),
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
export function takeOver(socket: BunSocket, transport: BunTransport): void {
  socket.data = transport;
  socket.reload({ socket: PLAIN });
}
