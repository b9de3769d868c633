/**
 * `wrap()`: a `Deno.Conn` (TcpConn, TlsConn, UnixConn) as a `SpliceSocket`,
 * the one shape of docs/adapters.md#one-shape.
 * Reference: https://docs.deno.com/api/deno/~/Deno.Conn and
 * https://sockets-api.proposal.wintercg.org/#socket-section
 */
import { checkUnshift, directSplice, spliceAddresses, type SpliceAddressable, type SpliceAddresses } from '@sosplice/core';
import { socketAlreadyClosed, socketSettings, socketWrapped, type SocketInfo, type SocketSettings, type SpliceSocket, type SpliceSocketOptions } from '@sosplice/core/socket';
import { DenoSpliceEnd } from './direct.ts';
import { createReadable } from './readable.ts';
import { addressOf, isDenoConn, Transport, type DenoConnLike } from './runtime.ts';
import { createWritable } from './writable.ts';

/**
 * The conns wrapped so far: a conn's reads belong to one wrapper (a second
 * one's background read would take bytes meant for the first).
 */
const wrapped = new WeakMap<DenoConnLike, Transport>();

/**
 * One wrapped conn. Streams, promises and addresses are made when first
 * asked for, so accepting costs one object pair per conn (issue #10). Asking
 * for a stream or `closed` also starts the watch read that lets a reset of
 * an idle conn surface (runtime.ts, `watch()`).
 */
class DenoSocket implements SpliceSocket<DenoConnLike>, SpliceAddressable {
  readonly socket: DenoConnLike;
  readonly #t: Transport;
  readonly #settings: SocketSettings;
  #readable: ReadableStream<Uint8Array> | undefined;
  #writable: WritableStream<Uint8Array> | undefined;
  #end: DenoSpliceEnd | undefined;
  #opened: Promise<SocketInfo> | undefined;

  constructor(conn: DenoConnLike, transport: Transport, settings: SocketSettings) {
    this.socket = conn;
    this.#t = transport;
    this.#settings = settings;
  }

  /** Byte stream (BYOB); EOF closes it but not the conn. */
  get readable(): ReadableStream<Uint8Array> {
    if (this.#readable === undefined) {
      const readable = createReadable(this.#t, this.#settings.highWaterMark);
      this.#t.readable = this.#mark(readable);
      this.#readable = readable;
      this.#t.watch();
    }
    return this.#readable;
  }

  /** Byte-counted; `close()` sends FIN only; `abort()` resets the conn. */
  get writable(): WritableStream<Uint8Array> {
    if (this.#writable === undefined) {
      this.#writable = this.#mark(createWritable(this.#t, this.#settings.highWaterMark));
      this.#t.watch();
    }
    return this.#writable;
  }

  #mark<S extends object>(stream: S): S {
    if (this.#settings.direct) {
      this.#end ??= new DenoSpliceEnd(this.#t, this.#settings.highWaterMark);
      Object.defineProperty(stream, directSplice, { value: this.#end });
    }
    return stream;
  }

  /** Resolves at once: the conn exists already (a TLS handshake finishes on first I/O, or in `connect()`). */
  get opened(): Promise<SocketInfo> {
    return (this.#opened ??= Promise.resolve(this.#info()));
  }

  get closed(): Promise<void> {
    this.#t.watch();
    return this.#t.closed;
  }

  close(): Promise<void> {
    return this.#t.close(this.#settings.linger);
  }

  unshift(bytes: Uint8Array): void {
    // A closed socket takes nothing back (checked first: a closed readable is not "busy").
    if (this.#t.closing || this.#t.destroyed) throw this.#t.failure?.error ?? socketAlreadyClosed('socket');
    this.#t.putBack(checkUnshift(this.readable, bytes, this.#t.streamQueued));
  }

  get readableBuffered(): number {
    return this.#t.pending.size + this.#t.streamQueued;
  }

  get writableBuffered(): number {
    return this.#t.queued + this.#t.writing;
  }

  #info(): SocketInfo {
    return { remoteAddress: addressOf(this.socket.remoteAddr), localAddress: addressOf(this.socket.localAddr) };
  }

  // Names the conn in the core's diagnostics messages (docs/observability.md).
  [spliceAddresses](): SpliceAddresses {
    const info = this.#info();
    return { local: info.localAddress, remote: info.remoteAddress };
  }
}

/** `wrap()` with options checked already (`listen()` checks them once for every conn it accepts). */
export function wrapConn(conn: DenoConnLike, settings: SocketSettings): SpliceSocket<DenoConnLike> {
  const known = wrapped.get(conn);
  if (known !== undefined) throw known.connClosed ? socketAlreadyClosed('socket') : socketWrapped('socket', conn);
  const transport = new Transport(conn);
  wrapped.set(conn, transport);
  return new DenoSocket(conn, transport, settings);
}

/**
 * Wraps a `Deno.Conn` (TCP, TLS or Unix) as a `SpliceSocket`. From then on
 * the adapter owns the conn's reads and writes: use the socket's streams,
 * not the conn's. Refused: a conn wrapped already (`ERR_SOCKET_WRAPPED`), or
 * closed by this adapter (`SocketClosedError`). A conn closed elsewhere
 * cannot be told apart synchronously on Deno: its first read or write fails
 * with `ERR_SOCKET_CLOSED`.
 *
 * @example
 * ```ts
 * import { spliceBidirectional } from '@sosplice/core';
 * import { connect, wrap } from '@sosplice/deno-adapter';
 * const client = wrap(await listener.accept());
 * const server = await connect('127.0.0.1:8080');
 * const [up, down] = await spliceBidirectional(client, server, { idle: 30_000 }).done;
 * await Promise.all([client.close(), server.close()]);
 * ```
 */
export function wrap(conn: DenoConnLike, options?: SpliceSocketOptions): SpliceSocket<DenoConnLike> {
  if (!isDenoConn(conn)) {
    const got = conn === null ? 'null' : typeof conn;
    throw Object.assign(new TypeError(`The "socket" argument must be a Deno.Conn. Received ${got}`), { code: 'ERR_INVALID_ARG_TYPE' });
  }
  return wrapConn(conn, socketSettings(options));
}
