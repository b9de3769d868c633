/**
 * Validation of the options and addresses every adapter takes
 * (docs/adapters.md#one-shape), so that a bad value is refused the same way,
 * before any socket is opened, on every runtime.
 */
import { invalidArgType, outOfRange } from '../errors.ts';
import type { SocketAddressOptions, SpliceSocketOptions } from './types.ts';

/** The defaults of {@link SpliceSocketOptions}. */
export const DEFAULT_HIGH_WATER_MARK = 65536;
export const DEFAULT_LINGER_MS = 5000;

/** {@link SpliceSocketOptions} with every default filled in. */
export interface SocketSettings {
  readonly direct: boolean;
  readonly highWaterMark: number;
  readonly linger: number;
}

/** Checks `options` (named `name` in errors) and fills in the defaults. */
export function socketSettings(options: SpliceSocketOptions | undefined, name = 'options'): SocketSettings {
  if (options === undefined) return { direct: true, highWaterMark: DEFAULT_HIGH_WATER_MARK, linger: DEFAULT_LINGER_MS };
  if (typeof options !== 'object' || options === null) throw invalidArgType(name, 'an object', options);
  const { direct = true, highWaterMark = DEFAULT_HIGH_WATER_MARK, linger = DEFAULT_LINGER_MS } = options;
  if (typeof direct !== 'boolean') throw invalidArgType(`${name}.direct`, 'a boolean', direct);
  if (typeof highWaterMark !== 'number') throw invalidArgType(`${name}.highWaterMark`, 'a number', highWaterMark);
  if (!Number.isSafeInteger(highWaterMark) || highWaterMark < 1) throw outOfRange(`${name}.highWaterMark`, 'a positive integer', highWaterMark);
  if (typeof linger !== 'number') throw invalidArgType(`${name}.linger`, 'a number', linger);
  if (!(linger >= 0) || linger > 2_147_483_647) throw outOfRange(`${name}.linger`, 'a number of milliseconds from 0 to 2147483647', linger);
  return { direct, highWaterMark, linger };
}

/** A checked address: TCP host and port, or a Unix socket path. */
export type SocketTarget = { readonly hostname: string; readonly port: number } | { readonly path: string };

/**
 * Checks an address: a `"host:port"` string (`"[::1]:8080"` for IPv6) or
 * `{ hostname, port }` / `{ path }`. `defaultPort` (listen: 0) lets `port`
 * be left out; `hostname` defaults to `localhost` when connecting and
 * `127.0.0.1` when listening, as the caller says.
 */
export function socketTarget(address: string | SocketAddressOptions, name: string, defaults: { hostname: string; port?: number }): SocketTarget {
  if (typeof address === 'string') return parseHostPort(address, name);
  if (typeof address !== 'object' || address === null) throw invalidArgType(name, 'a "host:port" string or an object', address);
  const { hostname, port, path } = address;
  if (path !== undefined) {
    if (typeof path !== 'string' || path === '') throw invalidArgType(`${name}.path`, 'a non-empty string', path);
    if (hostname !== undefined || port !== undefined) throw invalidArgType(`${name}.path`, 'alone (a Unix socket has no hostname or port)', path);
    return { path };
  }
  if (hostname !== undefined && (typeof hostname !== 'string' || hostname === '')) throw invalidArgType(`${name}.hostname`, 'a non-empty string', hostname);
  const chosen = port ?? defaults.port;
  if (chosen === undefined) throw invalidArgType(`${name}.port`, 'a number', port);
  return { hostname: hostname ?? defaults.hostname, port: checkPort(chosen, `${name}.port`) };
}

function checkPort(port: unknown, name: string): number {
  if (typeof port !== 'number') throw invalidArgType(name, 'a number', port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw outOfRange(name, 'an integer from 0 to 65535', port);
  return port;
}

function parseHostPort(text: string, name: string): SocketTarget {
  // "[::1]:80", "127.0.0.1:80", "localhost:80"
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (match === null) throw invalidArgType(name, 'a "host:port" string (IPv6 as "[::1]:port")', text);
  return { hostname: match[1] ?? match[2]!, port: checkPort(Number(match[3]), name) };
}

/** `"host:port"`, with IPv6 hosts in brackets; a Unix path as it is. */
export function formatAddress(target: SocketTarget): string {
  if ('path' in target) return target.path;
  return target.hostname.includes(':') ? `[${target.hostname}]:${target.port}` : `${target.hostname}:${target.port}`;
}
