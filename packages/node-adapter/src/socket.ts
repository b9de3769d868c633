/**
 * `fromNodeSocket()` and `connect()`: a Node socket as a WinterCG-style
 * socket (https://sockets-api.proposal.wintercg.org/) that is also a
 * `SpliceEndpoint` (SPEC.md section 6).
 */
import net from 'node:net';
import tls from 'node:tls';
import { checkUnshift, directSplice } from '@sosplice/core';
import { resetBehindEof } from './_reset.js';
import { SocketState } from './_state.js';
import { readEnd, writeEnd } from './direct.js';
import { SocketClosedError, invalidArg } from './errors.js';
import { ReadSide } from './readable.js';
import type { NodeSocketInfo, NodeSocketOptions, NodeSpliceSocket } from './types.js';
import { WriteSide } from './writable.js';

const DEFAULT_HIGH_WATER_MARK = 65536;

interface Sides {
  read: ReadSide;
  write: WriteSide;
  settle: { resolve(): void; reject(error: unknown): void };
}

/** The sides of each wrapped socket; also what tells that a socket was wrapped already. */
const sides = new WeakMap<net.Socket, Sides>();

// Socket listeners, shared by every wrapped socket: Node calls them with `this` = the socket.
function onData(this: net.Socket, chunk: Uint8Array): void {
  sides.get(this)!.read.onData(chunk);
}
function onEnd(this: net.Socket): void {
  // Node 20: a reset seen while paused comes as 'end' (./_reset.ts).
  const reset = resetBehindEof(this);
  if (reset !== undefined) this.destroy(reset);
  else sides.get(this)!.read.onEnd();
}
function onDrain(this: net.Socket): void {
  sides.get(this)!.write.onDrain();
}
function onFinish(this: net.Socket): void {
  sides.get(this)!.write.onFinish();
}
function onError(this: net.Socket, error: unknown): void {
  const { read, write } = sides.get(this)!;
  read.onError(error);
  write.onError(error);
}
function onClose(this: net.Socket): void {
  const { read, write, settle } = sides.get(this)!;
  read.onClose();
  write.onClose();
  const state = read.state;
  if (state.failed && !state.closing) settle.reject(state.failure);
  else settle.resolve();
}

/**
 * Wraps a `net.Socket` (TCP IPv4/IPv6, Unix) or a `tls.TLSSocket`.
 *
 * The adapter takes the socket's reading over (`'data'`, `pause()`/`resume()`)
 * and sets `socket.allowHalfOpen = true`, so that the peer's FIN ends only
 * `readable` and our side can still answer (SPEC.md 6; Node ends the write
 * side at the peer's FIN otherwise). For sockets you accept, prefer
 * `net.createServer({ allowHalfOpen: true })`. Wrap each socket once.
 *
 * @example
 * ```ts
 * const server = net.createServer({ allowHalfOpen: true }, async (client) => {
 *   const upstream = await connect({ host: '127.0.0.1', port: 8080 });
 *   spliceBidirectional(fromNodeSocket(client), upstream);
 * });
 * ```
 */
export function fromNodeSocket(socket: net.Socket, options: NodeSocketOptions = {}): NodeSpliceSocket {
  if (!(socket instanceof net.Socket)) throw invalidArg('socket', 'an instance of net.Socket or tls.TLSSocket', socket);
  if (typeof options !== 'object' || options === null) throw invalidArg('options', 'an object', options);
  const hwm = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
  if (typeof hwm !== 'number' || !(hwm >= 1) || !Number.isInteger(hwm)) {
    const error = new RangeError(`The "options.highWaterMark" must be a positive integer. Received ${String(hwm)}`);
    throw Object.assign(error, { code: 'ERR_OUT_OF_RANGE' });
  }
  if (sides.has(socket)) {
    const error = new TypeError('The "socket" argument was already wrapped by fromNodeSocket()');
    throw Object.assign(error, { code: 'ERR_SOCKET_ADOPTED' });
  }
  // A destroyed socket can never open: say so now, with a code, rather than
  // hand back an endpoint that only fails later (SPEC.md 6; nothing taken yet).
  if (socket.destroyed) throw new SocketClosedError('The "socket" argument is destroyed; fromNodeSocket() needs an open or connecting socket');
  // Half-close (SPEC.md 6): Node reads this flag when the peer's FIN arrives.
  socket.allowHalfOpen = true;

  const state = new SocketState(socket);
  const read = new ReadSide(state, hwm);
  const write = new WriteSide(state, hwm);
  if (options.direct !== false) {
    Object.defineProperty(read.stream, directSplice, { value: readEnd(read) });
    Object.defineProperty(write.stream, directSplice, { value: writeEnd(write) });
  }

  let settle!: { resolve(): void; reject(error: unknown): void };
  const closed = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  // Nobody has to observe `closed`: a failure is reported by the streams too.
  closed.catch(() => {});
  sides.set(socket, { read, write, settle });
  // The same listener functions for every socket (issue 6: per-socket
  // closures are memory at thousands of idle connections); each finds its
  // sides by the socket it is called on. Order per event as before: the
  // read side, then the write side, then `closed`.
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('drain', onDrain);
  socket.on('finish', onFinish);
  socket.on('error', onError);
  socket.on('close', onClose);
  const opened = whenOpened(socket);

  return new NodeEndpoint(read, write, opened, closed);
}

/**
 * What `fromNodeSocket()` returns. A class so that `close()` and the two
 * getters live on the prototype instead of being closures per socket (issue 6).
 */
class NodeEndpoint implements NodeSpliceSocket {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly opened: Promise<NodeSocketInfo>;
  readonly closed: Promise<void>;
  readonly socket: net.Socket;
  readonly #read: ReadSide;
  readonly #write: WriteSide;

  constructor(read: ReadSide, write: WriteSide, opened: Promise<NodeSocketInfo>, closed: Promise<void>) {
    this.readable = read.stream;
    this.writable = write.stream;
    this.opened = opened;
    this.closed = closed;
    this.socket = read.state.socket;
    this.#read = read;
    this.#write = write;
  }

  close(): Promise<void> {
    if (!this.socket.destroyed) {
      // Writes corked until the next tick (./writable.ts) reach the kernel first: destroy() drops Node's buffer.
      while (this.socket.writableCorked > 0) this.socket.uncork();
      this.#read.state.closing = true;
      this.socket.destroy();
    }
    return this.closed.catch(() => {});
  }

  unshift(bytes: Uint8Array): void {
    this.#read.putBack(checkUnshift(this.readable, bytes, this.#read.streamQueued));
  }

  get readableBuffered(): number {
    return this.#read.buffered;
  }

  get writableBuffered(): number {
    return this.#write.buffered;
  }
}

/** Options of {@link connect}: `net.connect()` options, or `tls.connect()` options with `tls: true`. */
export type NodeConnectOptions =
  | (net.NetConnectOpts & NodeSocketOptions & { tls?: false })
  | (tls.ConnectionOptions & NodeSocketOptions & { tls: true });

/**
 * Connects (TCP, Unix, or TLS with `tls: true`) and resolves once connected
 * (TLS: once the handshake is done), with the socket wrapped.
 */
export async function connect(options: NodeConnectOptions): Promise<NodeSpliceSocket> {
  if (typeof options !== 'object' || options === null) throw invalidArg('options', 'an object', options);
  const { direct, highWaterMark, tls: secure, ...rest } = options;
  // TLS over a net.Socket of our own: Node resets only plain TCP sockets, and
  // an abort must reach the peer as an RST (SPEC.md 5; ./_reset.ts).
  const plain = (): net.Socket => net.connect({ ...(rest as net.NetConnectOpts), allowHalfOpen: true });
  const socket = secure
    ? tls.connect({ ...(rest as tls.ConnectionOptions), socket: (rest as tls.ConnectionOptions).socket ?? plain(), allowHalfOpen: true } as tls.ConnectionOptions)
    : plain();
  const wrapped = fromNodeSocket(socket, { direct, highWaterMark });
  try {
    await wrapped.opened;
  } catch (error) {
    socket.destroy();
    throw error;
  }
  return wrapped;
}

function whenOpened(socket: net.Socket): Promise<NodeSocketInfo> {
  const info = (): NodeSocketInfo => ({
    remoteAddress: socket.remoteAddress,
    remotePort: socket.remotePort,
    localAddress: socket.localAddress,
    localPort: socket.localPort,
  });
  const secure = socket instanceof tls.TLSSocket;
  const ready = secure ? isHandshakeDone(socket) : !socket.connecting && !socket.pending;
  if (ready) return Promise.resolve(info());
  const opened = new Promise<NodeSocketInfo>((resolve, reject) => {
    const events = secure ? ['secureConnect', 'secure'] : ['connect'];
    const done = (error?: unknown): void => {
      for (const event of events) socket.off(event, onReady);
      socket.off('error', done);
      socket.off('close', onClose);
      if (error === undefined) resolve(info());
      else reject(error);
    };
    const onReady = (): void => done();
    const onClose = (): void => done(new Error('The socket closed before it was connected'));
    for (const event of events) socket.once(event, onReady);
    socket.once('error', done);
    socket.once('close', onClose);
  });
  // Nobody has to observe `opened` (connect() does); one already resolved needs no handler.
  opened.catch(() => {});
  return opened;
}

function isHandshakeDone(socket: tls.TLSSocket): boolean {
  // getProtocol() is null until the handshake finishes (node:tls docs).
  return !socket.connecting && socket.getProtocol() !== null && socket.getProtocol() !== 'unknown';
}
