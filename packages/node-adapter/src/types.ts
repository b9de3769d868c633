/**
 * The public contract of `@sosplice/node-adapter` (SPEC.md section 6).
 *
 * Wraps Node's `net.Socket` (TCP over IPv4/IPv6, Unix domain sockets) and
 * `tls.TLSSocket`: https://nodejs.org/api/net.html#class-netsocket
 */
import type { Socket } from 'node:net';

/** Options of {@link fromNodeSocket}. */
export interface NodeSocketOptions {
  /**
   * Offer the direct dispatch path (SPEC.md section 6) when both ends of a
   * splice come from this adapter. Default `true`; `false` forces the core's
   * Web Streams path (useful to compare or to test both paths).
   */
  direct?: boolean;
  /**
   * Bytes the adapter buffers on each side before it applies backpressure:
   * the read side pauses the socket above it, the writable's queue signals
   * full above it. Default 65536.
   */
  highWaterMark?: number;
}

/** Addresses of a connected socket, as `opened` reports them. */
export interface NodeSocketInfo {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;
}

/**
 * A Node socket as a WinterCG-style socket and a `SpliceEndpoint`.
 *
 * The adapter owns the socket's `'data'`, flow (`pause()`/`resume()`) and
 * `allowHalfOpen`: read through `readable`, write through `writable`.
 */
export interface NodeSpliceSocket {
  /** Readable byte stream (BYOB capable) of what the peer sends; EOF on the peer's FIN. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Writable whose queue is counted in bytes; `close()` sends FIN (half-close), `abort()` destroys. */
  readonly writable: WritableStream<Uint8Array>;
  /** Resolves once connected (at once for a connected socket); rejects if connecting fails. */
  readonly opened: Promise<NodeSocketInfo>;
  /** Resolves once the socket is closed; rejects with the socket's error if it failed. */
  readonly closed: Promise<void>;
  /** Closes both directions at once (destroys the socket); resolves like `closed` but never rejects. */
  close(): Promise<void>;
  /**
   * Puts `bytes` back at the front of `readable` (SPEC.md 6): the next read,
   * or the next splice from it, takes them first, and a splice counts them.
   * Throws `ERR_SPLICE_BUSY` while the readable is spliced or locked (or still
   * holds bytes a partial BYOB read left in its queue), and
   * `ERR_SOCKET_CLOSED` once the readable has ended.
   */
  unshift(bytes: Uint8Array): void;
  /** The wrapped socket; for addresses and options only, not for reading or writing. */
  readonly socket: Socket;
  /**
   * Bytes received and held in userspace, not yet read: the adapter's own
   * buffer, the readable stream's queue and Node's readable buffer. Bounded
   * by about twice `highWaterMark` plus one chunk while nothing reads.
   */
  readonly readableBuffered: number;
  /**
   * Bytes accepted for writing and not yet handed to the kernel: Node's
   * write buffer (`socket.writableLength`) plus chunks waiting in the
   * writable's own queue.
   */
  readonly writableBuffered: number;
}
