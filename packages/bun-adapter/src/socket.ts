/**
 * Bun sockets as splice endpoints: `connect()` and `listen()` mirror
 * `Bun.connect` / `Bun.listen` (https://bun.sh/docs/api/tcp) for TCP, TLS and
 * Unix sockets; `adopt()` takes over a socket the application already has,
 * through `socket.reload()`.
 *
 * Bun gives handlers per listener or connection, not per socket, so every
 * handler here dispatches through `socket.data` to that socket's
 * {@link SocketState}.
 */
import { checkUnshift, directSplice, type SpliceEndpoint } from '@sosplice/core';
import { type BunSocket, type BunSocketHandler, type BunSocketListener, type BunSocketOptions, getBun } from './_bun.js';
import { SocketState } from './_state.js';
import { bunDirectProvider, type BunDirectEnd } from './direct.js';
import { codedError, invalidArgType } from './errors.js';
import { createReadable } from './readable.js';
import { createWritable } from './writable.js';

/** Adapter options, next to Bun's own. */
export interface AdapterOptions {
  /** Offer direct dispatch between two sockets of this adapter (default `true`); `false` keeps every splice on Web Streams. */
  direct?: boolean;
  /** Bytes read ahead before the socket is paused, and the writable's high-water mark (default 65536). */
  highWaterMark?: number;
}

/** What `opened` resolves to. */
export interface SocketInfo {
  remoteAddress: string;
  remotePort?: number;
  localAddress?: string;
  localPort: number;
}

/** A Bun socket as a WinterCG-style socket and a `SpliceEndpoint` (SPEC.md section 6). */
export interface BunSpliceSocket extends SpliceEndpoint {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  /** Resolves once the socket is usable (TLS: after the handshake). */
  readonly opened: Promise<SocketInfo>;
  /** Resolves once the socket is closed; rejects with the runtime's error when it failed. */
  readonly closed: Promise<void>;
  /** Writes what is queued, then closes both directions. Resolves like `closed`. */
  close(): Promise<void>;
  /** The Bun socket underneath. */
  readonly socket: BunSocket<unknown>;
  /**
   * Puts `bytes` back at the front of `readable` (SPEC.md 6): the next read,
   * or the next splice from it, takes them first, and a splice counts them.
   * Throws `ERR_SPLICE_BUSY` while the readable is spliced or locked (or still
   * holds bytes a partial BYOB read left in its queue), and
   * `ERR_SOCKET_CLOSED` once the readable has ended.
   */
  unshift(bytes: Uint8Array): void;
  /** Bytes read from the kernel and not yet handed on (the readable's own buffer). */
  readonly readableBuffered: number;
  /** Bytes handed to the socket that Bun has not accepted yet (the unaccepted tail). */
  readonly writableBuffered: number;
}

const DEFAULT_HWM = 65536;

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

class Endpoint implements BunSpliceSocket {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly opened: Promise<SocketInfo>;
  readonly closed: Promise<void>;
  readonly socket: BunSocket<unknown>;
  readonly state: SocketState;
  private readonly openedD = deferred<SocketInfo>();
  private readonly closedD = deferred<void>();

  constructor(socket: BunSocket<unknown>, options: AdapterOptions, tls: boolean) {
    this.socket = socket;
    this.opened = this.openedD.promise;
    this.closed = this.closedD.promise;
    // Fire-and-forget promises must not become unhandled rejections.
    this.opened.catch(() => undefined);
    this.closed.catch(() => undefined);
    const state = new SocketState(socket, options.highWaterMark ?? DEFAULT_HWM, (error) => {
      if (error === undefined) this.closedD.resolve();
      else this.closedD.reject(error);
      this.openedD.reject(error ?? codedError('ERR_SOCKET_CLOSED', 'The socket closed before it opened'));
    });
    this.state = state;
    const destroy = (): void => {
      if (!state.isClosed) socket.terminate();
    };
    this.readable = createReadable(state, destroy);
    this.writable = createWritable(state, tls ? this.opened : undefined, destroy);
    if (options.direct !== false) {
      const end: BunDirectEnd = { provider: bunDirectProvider, state };
      Object.defineProperty(this.readable, directSplice, { value: end });
      Object.defineProperty(this.writable, directSplice, { value: end });
    }
    if (!tls) this.markOpen();
  }

  markOpen(): void {
    const s = this.socket;
    this.openedD.resolve({ remoteAddress: s.remoteAddress, remotePort: s.remotePort, localAddress: s.localAddress, localPort: s.localPort });
  }

  failOpen(error: unknown): void {
    this.openedD.reject(error);
    this.state.onError(error);
  }

  unshift(bytes: Uint8Array): void {
    this.state.putBack(checkUnshift(this.readable, bytes, this.state.streamQueued));
  }

  get readableBuffered(): number {
    return this.state.inboxBytes;
  }

  get writableBuffered(): number {
    return this.state.outboxBytes;
  }

  async close(): Promise<void> {
    const state = this.state;
    if (!state.isClosed) {
      await state.whenOutboxEmpty().catch(() => undefined);
      // end() flushes and closes both directions (RUNTIMES.md, Bun).
      if (!state.isClosed) this.socket.end();
    }
    return this.closed;
  }
}

const ENDPOINT = Symbol('sosplice.bun.endpoint');
type Tagged = SocketState & { [ENDPOINT]?: Endpoint };

function endpointOf(socket: BunSocket<unknown>): Endpoint | undefined {
  return (socket.data as Tagged | undefined)?.[ENDPOINT];
}

function attach(socket: BunSocket<unknown>, options: AdapterOptions, tls: boolean): Endpoint {
  const endpoint = new Endpoint(socket, options, tls);
  (endpoint.state as Tagged)[ENDPOINT] = endpoint;
  socket.data = endpoint.state;
  return endpoint;
}

/** The handlers every adapter socket runs; `onOpen` hands a new socket over. */
function handlers(options: AdapterOptions, tls: boolean, onOpen?: (endpoint: Endpoint) => void): BunSocketHandler<unknown> {
  return {
    binaryType: 'buffer',
    open(socket) {
      if (endpointOf(socket) !== undefined) return;
      const endpoint = attach(socket, options, tls);
      onOpen?.(endpoint);
    },
    handshake(socket, success, authorizationError) {
      const endpoint = endpointOf(socket);
      if (endpoint === undefined) return;
      if (success) endpoint.markOpen();
      else endpoint.failOpen(authorizationError ?? codedError('ERR_TLS_HANDSHAKE', 'TLS handshake failed'));
    },
    data(socket, data) {
      (socket.data as SocketState).onData(data);
    },
    drain(socket) {
      (socket.data as SocketState).onDrain();
    },
    end(socket) {
      (socket.data as SocketState).onEnd();
    },
    close(socket, error) {
      (socket.data as SocketState | undefined)?.onClose(error);
    },
    error(socket, error) {
      (socket.data as SocketState | undefined)?.onError(error);
    },
    // Bun's own timeout ticks every 4 s; `idle` is the core's (RUNTIMES.md, Bun).
    timeout() {},
  };
}

function isTls(options: BunSocketOptions): boolean {
  return options.tls !== undefined && options.tls !== false;
}

/**
 * Connects like `Bun.connect(options)` and resolves to the socket as a splice endpoint.
 * `allowHalfOpen` is always on: a peer's FIN ends our readable, never our write side.
 * @example
 * const upstream = await connect({ hostname: '127.0.0.1', port: 8080 });
 */
export async function connect(options: BunSocketOptions & AdapterOptions): Promise<BunSpliceSocket> {
  const bun = getBun();
  const tls = isTls(options);
  const { direct, highWaterMark, ...bunOptions } = options;
  const own = { direct, highWaterMark };
  const socket = await bun.connect({ ...bunOptions, allowHalfOpen: true, socket: handlers(own, tls) });
  return endpointOf(socket) ?? attach(socket, own, tls);
}

/**
 * Listens like `Bun.listen(options)`; `onSocket` gets each accepted socket as a splice endpoint.
 * Returns Bun's listener (`stop()`, `port`, ...).
 */
export function listen(options: BunSocketOptions & AdapterOptions, onSocket: (socket: BunSpliceSocket) => void): BunSocketListener<unknown> {
  const bun = getBun();
  const tls = isTls(options);
  const { direct, highWaterMark, ...bunOptions } = options;
  return bun.listen({ ...bunOptions, allowHalfOpen: true, socket: handlers({ direct, highWaterMark }, tls, onSocket) });
}

const SOCKET_METHODS = ['write', 'end', 'shutdown', 'terminate', 'pause', 'resume', 'reload'] as const;

/** Bun's sockets are native objects: recognised by the methods the adapter calls (a listener has no `write`). */
function isBunSocket(value: unknown): value is BunSocket<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const socket = value as Record<string, unknown>;
  return SOCKET_METHODS.every((method) => typeof socket[method] === 'function');
}

/** Bun reports a closed socket (terminated, ended, or closed by the peer) as `readyState` -1. */
function isClosedSocket(socket: BunSocket<unknown>): boolean {
  const state = socket.readyState;
  return typeof state === 'number' ? state < 0 : state === 'closed';
}

/**
 * Takes over an open socket the application made with Bun itself: its handlers
 * are replaced (`socket.reload`) and `socket.data` is the adapter's from now on.
 * Half-close needs the socket to have been made with `allowHalfOpen: true`.
 * Throws `ERR_INVALID_ARG_TYPE` for anything but a Bun socket (a listener
 * included) and `ERR_SOCKET_CLOSED` for a closed one, leaving it untouched.
 */
export function adopt(socket: BunSocket<unknown>, options: AdapterOptions = {}): BunSpliceSocket {
  getBun();
  if (!isBunSocket(socket)) throw invalidArgType('socket', 'an open Bun socket (from Bun.connect or Bun.listen)', socket);
  const existing = endpointOf(socket);
  if (existing !== undefined) return existing;
  // A closed socket never calls a handler again: its streams would wait forever.
  // Checked before reload() so the caller's socket keeps its handlers and data.
  if (isClosedSocket(socket)) throw codedError('ERR_SOCKET_CLOSED', 'adopt() was given a closed socket');
  const endpoint = attach(socket, options, false);
  socket.reload({ socket: handlers(options, false) });
  return endpoint;
}
