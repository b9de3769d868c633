/**
 * The one public shape every adapter's sockets have (docs/adapters.md#one-shape):
 * the same names, options, addresses and counters on Node, Bun and Deno.
 * Each adapter exports `wrap(socket, options?)`, `connect(address)` and
 * `listen(address)` built on these types.
 */
import type { SpliceEndpoint } from '../types.ts';

/** WinterTC's `SocketInfo`: `"host:port"` (`"[::1]:443"`), or a Unix socket's path. */
export interface SocketInfo {
  readonly remoteAddress: string | null;
  readonly localAddress: string | null;
}

/** Options of an adapter's `wrap()`, `connect()` and `listen()`. */
export interface SpliceSocketOptions {
  /**
   * Offer the direct dispatch path (docs/adapters.md) between two sockets of
   * the same adapter. Default `true`; `false` keeps every splice on the Web
   * Streams path.
   */
  direct?: boolean;
  /**
   * Bytes buffered on each side before backpressure: the read side stops
   * reading from the kernel above it, the writable reports full above it.
   * Default 65536.
   */
  highWaterMark?: number;
  /**
   * Milliseconds `close()` waits, after its FIN, for the queued bytes to
   * leave and the peer to finish, before it destroys the socket. Default
   * 5000; 0 destroys at once (dropping what is still queued).
   */
  linger?: number;
}

/** Where to connect or listen: WinterTC's `hostname` and `port`, or a Unix socket `path`. */
export interface SocketAddressOptions {
  hostname?: string;
  port?: number;
  /** A Unix domain socket; excludes `hostname` and `port`. */
  path?: string;
}

/**
 * Options of `connect()`: an address plus the socket options; `tls: true`
 * (or the runtime's TLS options object) for TLS. A `"host:port"` string
 * stands for `{ hostname, port }`.
 */
export interface ConnectOptions<TlsOptions = never> extends SocketAddressOptions, SpliceSocketOptions {
  tls?: boolean | TlsOptions;
}

/** Options of `listen()`; `port: 0` (the default) picks a free port. */
export interface ListenOptions<TlsOptions = never> extends SocketAddressOptions, SpliceSocketOptions {
  tls?: TlsOptions;
}

/** A runtime socket as a WinterTC-style socket and a `SpliceEndpoint`. */
export interface SpliceSocket<RuntimeSocket = unknown> extends SpliceEndpoint {
  /** Readable byte stream (BYOB capable) of what the peer sends; EOF on the peer's FIN. Created on first access. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Byte-counted writable; `close()` sends FIN (half-close), `abort()` resets. Created on first access. */
  readonly writable: WritableStream<Uint8Array>;
  /** Resolves once connected (TLS: handshake done); rejects if that fails. */
  readonly opened: Promise<SocketInfo>;
  /** Resolves once the socket is closed; rejects with the runtime's error if it failed. */
  readonly closed: Promise<void>;
  /**
   * Sends FIN after the bytes already queued, then resolves once the socket
   * is fully closed: the peer finished too, or `linger` ms passed (then the
   * socket is destroyed). Never rejects; `closed` carries a failure.
   */
  close(): Promise<void>;
  /**
   * Puts `bytes` back at the front of `readable` (docs/contract.md#header-then-splice).
   * Throws `ERR_SPLICE_BUSY` while the readable is spliced or locked, and
   * `ERR_SOCKET_CLOSED` once it has ended.
   */
  unshift(bytes: Uint8Array): void;
  /** Bytes received and held in userspace, not yet read or spliced. */
  readonly readableBuffered: number;
  /** Bytes accepted for writing and not yet handed to the kernel. */
  readonly writableBuffered: number;
  /** The runtime's socket (Node `net.Socket`, Bun `Socket`, `Deno.Conn`): for options and addresses, not for I/O. */
  readonly socket: RuntimeSocket;
}

/** What `listen()` resolves to: the accepted sockets, in order. */
export interface SpliceListener<S> extends AsyncIterable<S> {
  /** The bound address: `"host:port"` (the real port when 0 was asked) or the Unix path. */
  readonly address: string;
  /** The bound port; `null` for a Unix socket. */
  readonly port: number | null;
  /** Stops accepting (sockets accepted already stay open); iteration ends. Never rejects. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
