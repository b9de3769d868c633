/**
 * `wrap()`: a `Deno.Conn` (TcpConn, TlsConn, UnixConn) as a `SpliceSocket`,
 * the one shape of docs/adapters.md#one-shape, on the core's socket kit.
 * Reference: https://docs.deno.com/api/deno/~/Deno.Conn and
 * https://sockets-api.proposal.wintercg.org/#socket-section
 */
import { spliceAddresses, type SpliceAddressable, type SpliceAddresses } from '@sosplice/core';
import {
  PullTransport,
  socketAlreadyClosed,
  SocketClosedError,
  SocketEndpoint,
  socketSettings,
  socketWrapped,
  type SocketInfo,
  type SocketSettings,
  type SpliceSocket,
  type SpliceSocketOptions,
} from '@sosplice/core/socket';
import { denoDirectProvider } from './direct.ts';
import { addressOf, isDenoConn, pullSocket, WAIT_SIZE, type DenoConnLike } from './runtime.ts';

/**
 * The conns wrapped so far: a conn's reads belong to one wrapper (a second
 * one's read would take bytes meant for the first).
 */
const wrapped = new WeakMap<DenoConnLike, PullTransport>();

/**
 * One wrapped conn. Streams, promises and addresses are made when first
 * asked for, so an accepted conn costs this object, its transport and the
 * kit's two sides until used (issue #10). Asking for a stream or `closed`
 * also starts the read that lets a reset of an idle conn surface.
 */
class DenoSocket extends SocketEndpoint implements SpliceSocket<DenoConnLike>, SpliceAddressable {
  readonly socket: DenoConnLike;
  readonly #t: PullTransport;
  readonly #linger: number;
  #opened: Promise<SocketInfo> | undefined;

  constructor(conn: DenoConnLike, transport: PullTransport, settings: SocketSettings) {
    // paused: Deno reads only when asked (the kit resumes the read loop when it wants bytes).
    super(transport, settings.highWaterMark, settings.direct ? denoDirectProvider : undefined, true);
    transport.attach(this.read, this.write);
    this.socket = conn;
    this.#t = transport;
    this.#linger = settings.linger;
  }

  override get readable(): ReadableStream<Uint8Array> {
    this.#t.watch();
    return super.readable;
  }

  override get writable(): WritableStream<Uint8Array> {
    this.#t.watch();
    return super.writable;
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
    return this.#t.close(this.#linger);
  }

  override unshift(bytes: Uint8Array): void {
    if (this.#t.closing) throw new SocketClosedError('unshift(): the socket is closed');
    super.unshift(bytes);
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
  if (known !== undefined) throw known.socketClosed ? socketAlreadyClosed('socket') : socketWrapped('socket', conn);
  const transport = new PullTransport(pullSocket(conn), { readSize: settings.highWaterMark, idleReadSize: WAIT_SIZE });
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
