/**
 * The options of every adapter's `bindDatagram` / `connectDatagram` (docs/adapters.md:
 * the same names on every runtime), and the checks they share.
 */
import type { DatagramQueueOptions } from './datagram-endpoint.ts';
import { datagramNotConnected, invalidArgType } from './errors.ts';

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
