/**
 * What a datagram endpoint is built from: the transport an adapter gives it, and
 * the options of every adapter's `bindDatagram` / `connectDatagram` (docs/adapters.md:
 * the same names on every runtime), and the checks they share.
 */
import { datagramNotConnected, invalidArgType } from './errors.ts';

/** What an adapter gives the endpoint: its socket, reduced to three calls. */
export interface DatagramTransport {
  /** Sends one datagram to the peer; settles when the runtime took it (rejects with e.g. `EMSGSIZE`). */
  send(datagram: Uint8Array): Promise<void> | void;
  /**
   * Optional, the same as `send` with a callback instead of a promise: the
   * direct path uses it when present (Node's `dgram` reports a send by
   * callback; no promise per datagram).
   */
  sendWithCallback?(datagram: Uint8Array, done: (error?: unknown) => void): void; // done(undefined or null) on success
  /** Whether sends have a peer (connected, or a fixed peer address). */
  connected(): boolean;
  /** Closes the runtime socket; idempotent. */
  close(): void;
  /** Sends one datagram to `hostname`:`port` over the same socket (for {@link DatagramEndpoint.peer}). */
  sendTo(datagram: Uint8Array, hostname: string, port: number): Promise<void> | void;
}

export interface DatagramQueueOptions {
  /** Datagrams kept while nobody reads; more are dropped and counted in `dropped`. Default 1024. */
  queueLimit?: number;
  /** Offer the direct path between two datagram endpoints (default true; false forces the stream path). */
  direct?: boolean;
}

export interface DatagramAddress {
  hostname: string;
  port: number;
}

export interface BindDatagramOptions extends DatagramQueueOptions {
  /** Local address; default `127.0.0.1` (`::1` for an IPv6 remote). */
  hostname?: string;
  /** Local port; default 0 (any free port). */
  port?: number;
}

export interface ConnectDatagramOptions extends BindDatagramOptions {
  /** The peer's address and port. */
  remote: DatagramAddress;
}

/** For adapters: checks `connectDatagram`'s options; the local address defaults to the remote's family. */
export function connectOptions(options: ConnectDatagramOptions): { remote: DatagramAddress; local: BindDatagramOptions } {
  const remote = (options as Partial<ConnectDatagramOptions> | undefined)?.remote;
  if (typeof remote !== 'object' || remote === null || typeof remote.port !== 'number' || typeof remote.hostname !== 'string') {
    throw invalidArgType('options.remote', 'an object { hostname, port }', remote);
  }
  return { remote: { hostname: remote.hostname, port: remote.port }, local: { hostname: remote.hostname.includes(':') ? '::1' : '127.0.0.1', ...options } };
}

/** For adapters: what a send on an endpoint without a peer throws. */
export function notConnected(): TypeError {
  return datagramNotConnected('writable');
}
