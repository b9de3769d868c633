/**
 * `fromDenoConn`: a `Deno.Conn` (TcpConn, TlsConn, UnixConn) as a
 * WinterCG-style socket that is also a sosplice endpoint (SPEC 6).
 * Reference: https://docs.deno.com/api/deno/~/Deno.Conn and
 * https://sockets-api.proposal.wintercg.org/#socket-section
 */
import { checkUnshift, directSplice, type SpliceEndpoint } from '@sosplice/core';
import type { DenoAddr, DenoConnLike } from './_deno.js';
import { isDenoConn } from './_deno.js';
import { ConnState } from './_conn.js';
import { DenoSpliceEnd } from './direct.js';
import { createReadable } from './readable.js';
import { createWritable } from './writable.js';

/** Options of {@link fromDenoConn}. */
export interface DenoSocketOptions {
  /**
   * Offer the direct dispatch path to splices between two conns of this
   * adapter (default `true`); `false` keeps every splice on the stream path.
   */
  direct?: boolean;
  /**
   * The direct run's buffer while data flows (it waits for a quiet peer
   * with 2 KiB), and the readable's starting size for default
   * reads (which then adapts between a quarter and 4x this); default 65536.
   * BYOB reads use the reader's own view.
   */
  readSize?: number;
  /** The writable's high-water mark in bytes; default 65536. */
  writeHighWaterMark?: number;
}

/** Addresses of an open socket, as WinterCG's `SocketInfo`. */
export interface DenoSocketInfo {
  readonly remoteAddress: string | null;
  readonly localAddress: string | null;
}

/** The adapter's own counters: what it holds in memory right now, and totals. */
export interface DenoSocketStats {
  /** Read from the kernel, not yet handed to a reader or a drain. */
  readonly readBuffered: number;
  /** Accepted by the writable or a direct run, not yet taken by the kernel. */
  readonly writeBuffered: number;
  /** `readBuffered + writeBuffered`. */
  readonly bufferedAmount: number;
  readonly bytesRead: number;
  readonly bytesWritten: number;
}

/** A `Deno.Conn` as a splice endpoint and a WinterCG-style socket. */
export interface DenoSocket extends SpliceEndpoint {
  /** Byte stream (BYOB); EOF closes it but not the conn. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Byte-counted; `close()` sends FIN only; `abort()` destroys the conn. */
  readonly writable: WritableStream<Uint8Array>;
  /** Resolves once the conn is open (at once: the conn exists already). */
  readonly opened: Promise<DenoSocketInfo>;
  /** Resolves once the conn is closed; rejects with the runtime's error if it failed. */
  readonly closed: Promise<void>;
  /** Closes the conn now: the readable ends, further writes fail with `ERR_SOCKET_CLOSED`. */
  close(): Promise<void>;
  /**
   * `true` once the conn was destroyed (`writable.abort()`, `readable.cancel()`,
   * `close()`, or a runtime error), rather than closed by finishing both directions.
   */
  readonly destroyed: boolean;
  /**
   * Puts `bytes` back at the front of `readable` (SPEC.md 6): the next read,
   * or the next splice from it, takes them first, and a splice counts them.
   * Throws `ERR_SPLICE_BUSY` while the readable is spliced or locked (or still
   * holds bytes a partial BYOB read left in its queue), and
   * `ERR_SOCKET_CLOSED` once the readable has ended.
   */
  unshift(bytes: Uint8Array): void;
  /** The wrapped conn. Reading or writing it directly bypasses the adapter. */
  readonly conn: DenoConnLike;
  /** Live counters, for memory assertions and monitoring. */
  readonly stats: DenoSocketStats;
}

function addressOf(addr: DenoAddr | undefined): string | null {
  if (addr === undefined) return null;
  if (addr.transport === 'unix' || addr.transport === 'unixpacket') return addr.path ?? null;
  if (addr.hostname === undefined) return null;
  const host = addr.hostname.includes(':') ? `[${addr.hostname}]` : addr.hostname;
  return `${host}:${addr.port}`;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') {
    throw Object.assign(new TypeError(`The "options.${name}" property must be a number. Received ${typeof value}`), {
      code: 'ERR_INVALID_ARG_TYPE',
    });
  }
  if (!Number.isSafeInteger(value) || value < 1) {
    throw Object.assign(new RangeError(`The "options.${name}" property must be a positive integer. Received ${value}`), {
      code: 'ERR_OUT_OF_RANGE',
    });
  }
  return value;
}

/** Checks the options (before any conn is opened, so a bad option leaks nothing). */
export function socketSettings(options: DenoSocketOptions | undefined): { direct: boolean; readSize: number; writeHighWaterMark: number } {
  if (options === undefined) return { direct: true, readSize: 65536, writeHighWaterMark: 65536 };
  if (typeof options !== 'object' || options === null) {
    throw Object.assign(new TypeError(`The "options" argument must be an object. Received ${options === null ? 'null' : typeof options}`), {
      code: 'ERR_INVALID_ARG_TYPE',
    });
  }
  return {
    direct: options.direct !== false,
    readSize: positiveInteger('readSize', options.readSize, 65536),
    writeHighWaterMark: positiveInteger('writeHighWaterMark', options.writeHighWaterMark, 65536),
  };
}

/**
 * Wraps a `Deno.Conn` (TCP, TLS or Unix) as a {@link DenoSocket}. From then
 * on the adapter owns the conn's reads and writes; do not use
 * `conn.readable` / `conn.writable` as well.
 *
 * @example
 * ```ts
 * import { spliceBidirectional } from '@sosplice/core';
 * import { fromDenoConn } from '@sosplice/deno-adapter';
 * const client = fromDenoConn(await listener.accept());
 * const server = fromDenoConn(await Deno.connect({ port: 8080 }));
 * const [up, down] = await spliceBidirectional(client, server, { idle: 30_000 }).done;
 * ```
 */
export function fromDenoConn(conn: DenoConnLike, options: DenoSocketOptions = {}): DenoSocket {
  if (!isDenoConn(conn)) {
    throw Object.assign(new TypeError(`The "conn" argument must be a Deno.Conn. Received ${conn === null ? 'null' : typeof conn}`), {
      code: 'ERR_INVALID_ARG_TYPE',
    });
  }
  const { direct, readSize, writeHighWaterMark } = socketSettings(options);
  const state = new ConnState(conn);
  const readable = createReadable(state, readSize);
  const writable = createWritable(state, writeHighWaterMark);
  state.readable = readable;
  state.watch();
  if (direct) {
    const end = new DenoSpliceEnd(state, readSize);
    Object.defineProperty(readable, directSplice, { value: end });
    Object.defineProperty(writable, directSplice, { value: end });
  }
  const info: DenoSocketInfo = { remoteAddress: addressOf(conn.remoteAddr), localAddress: addressOf(conn.localAddr) };
  const stats: DenoSocketStats = {
    get readBuffered() {
      return state.pending.size;
    },
    get writeBuffered() {
      return state.queued + state.writing;
    },
    get bufferedAmount() {
      return state.pending.size + state.queued + state.writing;
    },
    get bytesRead() {
      return state.bytesRead;
    },
    get bytesWritten() {
      return state.bytesWritten;
    },
  };
  return {
    readable,
    writable,
    opened: Promise.resolve(info),
    closed: state.closed,
    close() {
      state.close();
      return state.closed.catch(() => undefined);
    },
    get destroyed() {
      return state.destroyed;
    },
    unshift(bytes: Uint8Array) {
      state.putBack(checkUnshift(readable, bytes, state.streamQueued));
    },
    conn,
    stats,
  };
}
