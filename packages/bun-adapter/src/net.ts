/**
 * `connect()` and `listen()` (docs/adapters.md#one-shape): a `"host:port"`
 * string or `{ hostname, port }` / `{ path }`, `tls`, and the socket options,
 * checked before any socket is opened. `allowHalfOpen` is always on: a
 * peer's FIN ends our readable, never our write side.
 */
import {
  SocketListener,
  formatAddress,
  invalidArgType,
  socketSettings,
  socketTarget,
  type ConnectOptions,
  type ListenOptions,
  type SocketSettings,
  type SocketTarget,
  type SpliceListener,
  type SpliceSocket,
} from '@sosplice/core/socket';
import { bunConnect, bunListen, getBun, type BunListener, type BunSocket, type BunTLSOptions, type Opening } from './runtime.ts';
import { attach, type UnixEnd } from './socket.ts';

/** {@link ListenOptions} plus Bun's `reusePort` (several processes accept on one port: the CLI's `--workers`). */
export interface BunListenOptions extends ListenOptions<BunTLSOptions> {
  reusePort?: boolean;
}

const where = (target: SocketTarget): Record<string, unknown> => ('path' in target ? { unix: target.path } : { hostname: target.hostname, port: target.port });

/** `tls` checked: `false` for none, else what Bun takes. */
function tlsOption(tls: unknown, name: string, clientDefaults: boolean): false | true | BunTLSOptions {
  if (tls === undefined || tls === false) return false;
  if (tls === true && clientDefaults) return true;
  if (typeof tls === 'object' && tls !== null) return tls as BunTLSOptions;
  throw invalidArgType(name, clientDefaults ? 'a boolean or an object of Bun TLS options' : 'an object of Bun TLS options (cert, key)', tls);
}

/**
 * Connects and resolves with the socket once it is usable (TLS: handshake
 * done); rejects with Bun's error (its `code` kept, e.g. `ECONNREFUSED`).
 * @example
 * const upstream = await connect('127.0.0.1:8080');
 * const secure = await connect({ hostname: 'example.com', port: 443, tls: true });
 */
export async function connect(address: string | ConnectOptions<BunTLSOptions>): Promise<SpliceSocket<BunSocket>> {
  getBun();
  const target = socketTarget(address, 'address', { hostname: 'localhost' });
  const options = typeof address === 'string' ? undefined : address;
  const settings = socketSettings(options, 'address');
  const tls = tlsOption(options?.tls, 'address.tls', true);
  const unix: UnixEnd | undefined = 'path' in target ? { path: target.path, side: 'remote' } : undefined;
  return new Promise((resolve, reject) => {
    const opening: Opening = { usable: (socket) => resolve(attach(socket, settings, unix)), failed: reject };
    bunConnect(where(target), tls, opening).catch(reject);
  });
}

class BunSpliceListener extends SocketListener<SpliceSocket<BunSocket>> implements Opening {
  readonly #settings: SocketSettings;
  readonly #unix: UnixEnd | undefined;
  #listener: BunListener | undefined;

  constructor(target: SocketTarget, settings: SocketSettings) {
    super(formatAddress(target), 'path' in target ? null : target.port);
    this.#settings = settings;
    this.#unix = 'path' in target ? { path: target.path, side: 'local' } : undefined;
  }

  /** Bun.listen throws at once (an address in use, say): the caller's promise rejects with it. */
  start(target: SocketTarget, tls: false | BunTLSOptions, reusePort: boolean): this {
    const listener = bunListen({ ...where(target), ...(reusePort ? { reusePort } : {}) }, tls, this);
    this.#listener = listener;
    if (!('path' in target)) {
      this.port = listener.port!;
      this.address = formatAddress({ hostname: target.hostname, port: listener.port! });
    }
    return this;
  }

  /** Opening: an accepted socket is usable (TLS: handshake done). */
  usable(socket: BunSocket): void {
    this.accepted(attach(socket, this.#settings, this.#unix));
  }

  /** Opening: a client that never became usable (a failed TLS handshake) concerns that client only. */
  failed(): void {}

  protected stopAccepting(): void {
    // stop(false): sockets accepted already stay open.
    this.#listener?.stop(false);
    this.#listener = undefined;
  }
}

/**
 * Listens (default `127.0.0.1`, a free port) and resolves with the listener:
 * `for await (const socket of listener)` takes the accepted sockets, each
 * handed out usable (TLS: handshake done).
 * @example
 * const listener = await listen({ hostname: '127.0.0.1', port: 8000 });
 * for await (const client of listener) serve(client);
 */
export async function listen(address: string | BunListenOptions = {}): Promise<SpliceListener<SpliceSocket<BunSocket>>> {
  getBun();
  const target = socketTarget(address, 'address', { hostname: '127.0.0.1', port: 0 });
  const options = typeof address === 'string' ? undefined : address;
  const settings = socketSettings(options, 'address');
  const tls = tlsOption(options?.tls, 'address.tls', false) as false | BunTLSOptions;
  const reusePort = options?.reusePort ?? false;
  if (typeof reusePort !== 'boolean') throw invalidArgType('address.reusePort', 'a boolean', reusePort);
  return new BunSpliceListener(target, settings).start(target, tls, reusePort);
}
