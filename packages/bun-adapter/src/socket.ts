/**
 * `wrap()` and the adapter's socket: a Bun socket as a WinterTC-style
 * socket and a `SpliceEndpoint` (docs/adapters.md#one-shape), a thin layer
 * on the socket kit of `@sosplice/core/socket`. Nothing is built that nobody
 * asked for: the streams, the direct mark, `opened`, `closed` and the
 * addresses are made on first access, so accepting a socket costs its
 * transport, the kit's two sides and this object.
 */
import { byteLease, byteSink, directSplice, spliceAddresses, type ByteLease, type DirectSpliceEndpoint, type SpliceAddresses } from '@sosplice/core';
import {
  SocketClosedError,
  SocketEndpointMark,
  SocketReadSide,
  SocketWriteSide,
  invalidArgType,
  socketAlreadyClosed,
  socketSettings,
  socketWrapped,
  type DrainWatcher,
  type SocketInfo,
  type SocketSettings,
  type SpliceSocket,
  type SpliceSocketOptions,
} from '@sosplice/core/socket';
import { bunDirectProvider } from './direct.ts';
import { BunTransport, getBun, isBunSocket, isClosedSocket, takeOver, type BunSocket, type SocketOwner } from './runtime.ts';

/** A Unix socket's path, and which end of the connection it names. */
export interface UnixEnd {
  readonly path: string;
  readonly side: 'local' | 'remote';
}

const noop = (): void => {};
const RESOLVED = Promise.resolve();

const handled = <T>(promise: Promise<T>): Promise<T> => {
  // Made for the application, which may never look: a failure must not be an unhandled rejection.
  promise.catch(noop);
  return promise;
};

const hostPort = (host: string | undefined, port: number | undefined): string | null =>
  host === undefined || host === '' ? null : host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;

/**
 * The kit's write side, plus what `close()` needs: FIN after the bytes
 * queued before it (the writable's own queue included), then the writable
 * fails with `SocketClosedError`, and a direct run writing into it stops.
 */
class BunWriteSide extends SocketWriteSide {
  /** The direct (or kernel) run writing into this side: `close()` ends it. */
  watcher: DrainWatcher | undefined;
  #released: (() => void) | undefined;
  #controller: WritableStreamDefaultController | undefined;
  #closing: { allowance: number; error: SocketClosedError; sent: (fin: Promise<void>) => void } | undefined;

  override start(controller: WritableStreamDefaultController): void {
    this.#controller = controller;
    super.start(controller);
  }

  override watch(watcher: DrainWatcher | undefined): void {
    this.watcher = watcher;
    super.watch(watcher);
    if (watcher === undefined) this.#released?.();
  }

  /** Resolves once no run writes into this side any more. */
  released(): Promise<void> {
    return this.watcher === undefined ? Promise.resolve() : new Promise((resolve) => (this.#released = resolve));
  }

  /** FIN after the outbox and the bytes the writable's queue holds now; a later write fails with `error`. */
  finish(error: SocketClosedError): Promise<void> {
    const queued = this.buffered - this.outbox.size;
    if (queued <= 0 || this.phase !== 'open') return this.#fin(error);
    return new Promise((sent) => (this.#closing = { allowance: queued, error, sent }));
  }

  /** The writable's sink: once the bytes queued before `close()` went through, FIN. */
  override write(chunk: unknown): void | Promise<void> {
    const result = super.write(chunk);
    const closing = this.#closing;
    if (closing !== undefined && chunk instanceof Uint8Array) {
      closing.allowance -= chunk.byteLength;
      if (closing.allowance <= 0) {
        this.#closing = undefined;
        closing.sent(this.#fin(closing.error));
      }
    }
    return result;
  }

  #fin(error: SocketClosedError): Promise<void> {
    try {
      // After the write in progress, if any: a splice writing through the stream ends with `error`.
      this.#controller?.error(error);
    } catch {
      // Already errored or closed.
    }
    return this.shutdown();
  }
}

class BunSpliceSocket implements SpliceSocket<BunSocket>, SocketOwner {
  readonly socket: BunSocket;
  readonly #transport: BunTransport;
  readonly #read: SocketReadSide;
  readonly #write: BunWriteSide;
  readonly #settings: SocketSettings;
  readonly #unix: UnixEnd | undefined;
  #mark: SocketEndpointMark | undefined;
  #opened: Promise<SocketInfo> | undefined;
  #closed: Promise<void> | undefined;
  #settleClosed: ((error: unknown) => void) | undefined;
  /** Set once the socket closed: `null` for a clean close. */
  #closeError: unknown = undefined;
  #closing: Promise<void> | undefined;
  /** close(): resolves it once the socket closed; the linger timer destroys the socket first if need be. */
  #whenClosed: (() => void) | undefined;
  #linger: ReturnType<typeof setTimeout> | undefined;

  constructor(transport: BunTransport, settings: SocketSettings, unix: UnixEnd | undefined) {
    const provider = settings.direct ? bunDirectProvider : undefined;
    this.socket = transport.socket;
    this.#transport = transport;
    this.#settings = settings;
    this.#unix = unix;
    this.#read = transport.readSide = new SocketReadSide(transport, settings.highWaterMark, provider);
    this.#write = transport.writeSide = new BunWriteSide(transport, settings.highWaterMark, provider);
    transport.owner = this;
  }

  /** The direct-dispatch mark (SPEC 6.2), on the endpoint: a splice of two such endpoints needs no Web Streams. */
  get [directSplice](): DirectSpliceEndpoint | undefined {
    if (!this.#settings.direct) return undefined;
    return (this.#mark ??= new SocketEndpointMark(bunDirectProvider, this.#read, this.#write));
  }

  get readable(): ReadableStream<Uint8Array> {
    return this.#read.readable;
  }

  get writable(): WritableStream<Uint8Array> {
    return this.#write.writable;
  }

  get opened(): Promise<SocketInfo> {
    // Handed out usable (TLS: after the handshake): `opened` has nothing left to wait for.
    return (this.#opened ??= handled(Promise.resolve(this.#info())));
  }

  get closed(): Promise<void> {
    if (this.#closed === undefined) {
      const error = this.#closeError;
      if (error === undefined) this.#closed = new Promise((resolve, reject) => (this.#settleClosed = (e) => (e == null ? resolve() : reject(e))));
      else this.#closed = error === null ? Promise.resolve() : Promise.reject(error);
      handled(this.#closed);
    }
    return this.#closed;
  }

  get readableBuffered(): number {
    return this.#read.buffered;
  }

  get writableBuffered(): number {
    return this.#write.buffered;
  }

  unshift(bytes: Uint8Array): void {
    this.#read.unshift(bytes);
  }

  /** Lends the read side to the core's `readUntil()` / `readExactly()` without a stream. */
  [byteLease](): ByteLease | undefined {
    return this.#read.leaseBytes();
  }

  /** Takes bytes for the core's `writeBytes()` without a stream. */
  [byteSink](bytes: Uint8Array): Promise<void> | undefined {
    return this.#write.sendBytes(bytes);
  }

  [spliceAddresses](): SpliceAddresses {
    const { localAddress, remoteAddress } = this.#info();
    return { local: localAddress, remote: remoteAddress };
  }

  /**
   * docs/adapters.md#closing: nothing more is read or written; the bytes
   * queued before this call go out, then FIN; resolves once the socket is
   * closed, when the peer finished too or after `linger` ms (then destroyed).
   */
  close(): Promise<void> {
    return (this.#closing ??= this.#close());
  }

  #close(): Promise<void> {
    const transport = this.#transport;
    const read = this.#read;
    const write = this.#write;
    if (this.#settings.linger === 0) transport.reset();
    // Both FINs went already (the usual end of a proxied connection): nothing to wait for.
    else if ((read.phase === 'ended' || read.phase === 'closed') && write.phase === 'closed') transport.end();
    // Bun runs the close handler inside terminate() and end(): most calls end here.
    if (transport.isClosed) return RESOLVED;
    const closed = new Promise<void>((resolve) => (this.#whenClosed = resolve));
    this.#linger = setTimeout(() => transport.reset(), this.#settings.linger);
    const error = new SocketClosedError('The socket was closed by close()');
    // Nothing more is delivered (a read or a splice from here fails with `error`); what still
    // arrives is read and dropped, so that the peer's FIN is seen and no RST goes out for unread bytes.
    transport.draining = true;
    read.onError(error);
    read.queue.clear();
    transport.resume();
    // A run writing into this socket ends; what it handed over already still goes out, then FIN.
    if (write.watcher === undefined) write.finish(error).catch(noop);
    else {
      write.watcher.failed(error);
      write
        .released()
        .then(() => write.finish(error))
        .catch(noop);
    }
    return closed;
  }

  /** SocketOwner: the transport closed (`error` when it failed). */
  onClosed(error: unknown): void {
    this.#closeError = error ?? null;
    this.#settleClosed?.(error);
    clearTimeout(this.#linger);
    this.#whenClosed?.();
  }

  #info(): SocketInfo {
    const unix = this.#unix;
    if (unix !== undefined) return { localAddress: unix.side === 'local' ? unix.path : null, remoteAddress: unix.side === 'remote' ? unix.path : null };
    const s = this.socket;
    return { localAddress: hostPort(s.localAddress, s.localPort), remoteAddress: hostPort(s.remoteAddress, s.remotePort) };
  }
}

/** Makes `socket` (usable: TCP connected, TLS handshake done) an adapter socket. */
export function attach(socket: BunSocket, settings: SocketSettings, unix?: UnixEnd): SpliceSocket<BunSocket> {
  const transport = new BunTransport(socket);
  socket.data = transport;
  return new BunSpliceSocket(transport, settings, unix);
}

/**
 * Takes over an open socket the application made with Bun itself: its
 * handlers become the adapter's (`socket.reload`) and `socket.data` is the
 * adapter's from now on. Half-close needs the socket to have been made with
 * `allowHalfOpen: true`. Refuses a socket wrapped already (`ERR_SOCKET_WRAPPED`:
 * its reads belong to the first wrapper), a closed one (`ERR_SOCKET_CLOSED`)
 * and anything but a Bun socket (`ERR_INVALID_ARG_TYPE`), leaving it untouched.
 * @example
 * const endpoint = wrap(await Bun.connect({ hostname, port, allowHalfOpen: true, socket: handlers }));
 */
export function wrap(socket: BunSocket, options?: SpliceSocketOptions): SpliceSocket<BunSocket> {
  getBun();
  if (!isBunSocket(socket)) throw invalidArgType('socket', 'an open Bun socket (from Bun.connect or Bun.listen)', socket);
  const settings = socketSettings(options);
  if (socket.data instanceof BunTransport) throw socketWrapped('socket', socket);
  // A closed socket never calls a handler again: its streams would wait forever.
  if (isClosedSocket(socket)) throw socketAlreadyClosed('socket');
  const transport = new BunTransport(socket);
  const endpoint = new BunSpliceSocket(transport, settings, undefined);
  takeOver(socket, transport);
  return endpoint;
}
