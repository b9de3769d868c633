/**
 * `wrap()` and the adapter's socket: a Bun socket as a WinterTC-style
 * socket and a `SpliceEndpoint` (docs/adapters.md#one-shape). Nothing is
 * built that nobody asked for: the streams, `opened`, `closed` and the
 * addresses are made on first access, so accepting a socket costs its
 * {@link SocketState} and this object.
 */
import { checkUnshift, directSplice, spliceAddresses, type SpliceAddresses } from '@sosplice/core';
import { SocketClosedError, socketAlreadyClosed, socketSettings, socketWrapped, type SocketInfo, type SocketSettings, type SpliceSocket, type SpliceSocketOptions } from '@sosplice/core/socket';
import { bunDirectProvider, type BunDirectEnd } from './direct.ts';
import { createReadable } from './readable.ts';
import { getBun, isBunSocket, isClosedSocket, SocketState, takeOver, type BunSocket, type SocketOwner } from './runtime.ts';

/** A Unix socket's path, and which end of the connection it names. */
export interface UnixEnd {
  readonly path: string;
  readonly side: 'local' | 'remote';
}

const handled = <T>(promise: Promise<T>): Promise<T> => {
  // Made for the application, which may never look: a failure must not be an unhandled rejection.
  promise.catch(() => undefined);
  return promise;
};

const hostPort = (host: string | undefined, port: number | undefined): string | null =>
  host === undefined || host === '' ? null : host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;

class BunSpliceSocket implements SpliceSocket<BunSocket>, SocketOwner {
  readonly socket: BunSocket;
  /** The transport (./runtime.ts). */
  readonly #state: SocketState;
  readonly #settings: SocketSettings;
  readonly #unix: UnixEnd | undefined;
  #readable: ReadableStream<Uint8Array> | undefined;
  #writable: WritableStream<Uint8Array> | undefined;
  #opened: Promise<SocketInfo> | undefined;
  #closed: Promise<void> | undefined;
  #settleClosed: ((error: unknown) => void) | undefined;
  /** Set once the socket closed: `null` for a clean close. */
  #closeError: unknown = undefined;
  #closing: Promise<void> | undefined;
  // The writable's chunks, counted so that close() lets those queued before it go out (and no later one).
  #writesIn = 0;
  #writesDone = 0;
  #lastBeforeClose = Infinity;
  #writeOver = false;
  #onWriteDone: (() => void) | undefined;

  constructor(state: SocketState, settings: SocketSettings, unix: UnixEnd | undefined) {
    this.socket = state.socket;
    this.#state = state;
    this.#settings = settings;
    this.#unix = unix;
    state.owner = this;
  }

  get readable(): ReadableStream<Uint8Array> {
    return (this.#readable ??= this.#mark(createReadable(this.#state, () => this.#state.destroy())));
  }

  get writable(): WritableStream<Uint8Array> {
    return (this.#writable ??= this.#mark(this.#createWritable()));
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
    return this.#state.inboxBytes;
  }

  get writableBuffered(): number {
    return this.#state.outboxBytes;
  }

  unshift(bytes: Uint8Array): void {
    this.#state.putBack(checkUnshift(this.readable, bytes, this.#state.streamQueued));
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

  async #close(): Promise<void> {
    const state = this.#state;
    if (state.isClosed) return;
    const closed = this.closed.catch(() => undefined);
    const linger = this.#settings.linger;
    if (linger === 0) {
      state.destroy();
      return closed;
    }
    const timer = setTimeout(() => state.destroy(), linger);
    const error = new SocketClosedError('The socket was closed by close()');
    state.stopReading(error);
    state.writeClosing = true;
    this.#lastBeforeClose = this.#writesIn;
    // A direct run writing into this socket ends; what it handed over already still goes out.
    state.drainOwner?.onDrainError(error);
    try {
      await this.#writesFlushed(error);
      // The outbox, then FIN; Bun closes the socket once the peer's FIN came too.
      await state.shutdown();
    } catch {
      // The write side failed or was destroyed meanwhile: `closed` says why.
    }
    await closed;
    clearTimeout(timer);
  }

  /** The writable's chunks queued before close() are written; then the writable fails with `error`. */
  async #writesFlushed(error: SocketClosedError): Promise<void> {
    while (!this.#writeOver && !this.#state.isClosed && this.#writesDone < this.#lastBeforeClose) {
      await new Promise<void>((resolve) => (this.#onWriteDone = resolve));
    }
    this.#failWritable(error);
  }

  #failWritable(error: unknown): void {
    try {
      this.#state.wc?.error(error);
    } catch {
      // Already errored or closed.
    }
  }

  #writeDone(): void {
    this.#writesDone++;
    const wake = this.#onWriteDone;
    this.#onWriteDone = undefined;
    wake?.();
  }

  #writeEnded(): void {
    this.#writeOver = true;
    this.#writeDone();
  }

  /** SocketOwner: the transport closed (`error` when it failed). */
  onClosed(error: unknown): void {
    this.#closeError = error ?? null;
    this.#settleClosed?.(error);
    this.#onWriteDone?.();
  }

  #info(): SocketInfo {
    const unix = this.#unix;
    if (unix !== undefined) return { localAddress: unix.side === 'local' ? unix.path : null, remoteAddress: unix.side === 'remote' ? unix.path : null };
    const s = this.socket;
    return { localAddress: hostPort(s.localAddress, s.localPort), remoteAddress: hostPort(s.remoteAddress, s.remotePort) };
  }

  /** The direct-dispatch mark (docs/adapters.md#direct-dispatch), unless `direct: false`. */
  #mark<S extends object>(stream: S): S {
    if (this.#settings.direct) {
      const end: BunDirectEnd = { provider: bunDirectProvider, state: this.#state };
      Object.defineProperty(stream, directSplice, { value: end });
    }
    return stream;
  }

  /**
   * The writable: its queue is counted in bytes; `write()` resolves once Bun
   * accepted every byte of the chunk (the tail waits in the outbox for
   * `drain`); `close()` is a half-close, `shutdown()` (docs/adapters.md).
   */
  #createWritable(): WritableStream<Uint8Array> {
    const state = this.#state;
    return new WritableStream<Uint8Array>(
      {
        start: (controller) => {
          state.wc = controller;
          // Created after the write side ended (streams are made on first access): it starts failed.
          if (state.writeFailed) controller.error(state.writeError);
          else if (state.writeEnded || state.writeClosing) controller.error(new SocketClosedError());
        },
        write: (chunk) => {
          if (!(chunk instanceof Uint8Array)) {
            this.#writeDone();
            throw Object.assign(new TypeError(`writable.write(chunk): chunk must be a Uint8Array, received ${typeof chunk}`), { code: 'ERR_INVALID_ARG_TYPE' });
          }
          let all: boolean;
          try {
            all = state.send(chunk, this.#writesDone < this.#lastBeforeClose);
          } catch (error) {
            this.#writeEnded();
            throw error;
          }
          if (all) return this.#writeDone();
          return state.whenOutboxEmpty().then(
            () => this.#writeDone(),
            (error: unknown) => {
              this.#writeEnded();
              throw error;
            },
          );
        },
        close: () => {
          this.#writeEnded();
          return state.shutdown();
        },
        abort: () => {
          this.#writeEnded();
          state.destroy();
        },
      },
      {
        highWaterMark: this.#settings.highWaterMark,
        size: (chunk) => {
          this.#writesIn++;
          return chunk.byteLength;
        },
      },
    );
  }
}

/** Makes `socket` (usable: TCP connected, TLS handshake done) an adapter socket. */
export function attach(socket: BunSocket, settings: SocketSettings, unix?: UnixEnd): SpliceSocket<BunSocket> {
  const state = new SocketState(socket, settings.highWaterMark);
  socket.data = state;
  return new BunSpliceSocket(state, settings, unix);
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
  if (socket.data instanceof SocketState) throw socketWrapped('socket', socket);
  // A closed socket never calls a handler again: its streams would wait forever.
  if (isClosedSocket(socket)) throw socketAlreadyClosed('socket');
  const state = new SocketState(socket, settings.highWaterMark);
  takeOver(socket, state);
  return new BunSpliceSocket(state, settings, undefined);
}

/** Renders a received value for an error message, as `@sosplice/core` does, naming Bun's native objects by their tag. */
function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'function') return `function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') {
    const tag = Object.prototype.toString.call(value).slice(8, -1);
    const name = (value as object).constructor?.name;
    // Bun's native objects (Listener, TCPSocket) have `Object` as constructor: the tag names them.
    const shown = name && name !== 'Object' ? name : tag !== 'Object' ? tag : undefined;
    return shown ? `an instance of ${shown}` : 'an object';
  }
  if (typeof value === 'string') return `type string ('${value.length > 28 ? `${value.slice(0, 25)}...` : value}')`;
  return `type ${typeof value} (${String(value)})`;
}

/** `name` should be `expected`, and `value` was received instead (worded as `@sosplice/core` words it). */
export function invalidArgType(name: string, expected: string, value: unknown): TypeError & { readonly code: 'ERR_INVALID_ARG_TYPE' } {
  return Object.assign(new TypeError(`The "${name}" argument must be ${expected}. Received ${describeValue(value)}`), { code: 'ERR_INVALID_ARG_TYPE' as const });
}
