/**
 * `connect()` and `listen()` (docs/adapters.md#one-shape): WinterTC's
 * `hostname` / `port` (or a `"host:port"` string, or a Unix `path`), `tls`,
 * and the socket options, the same on every runtime. Both set `noDelay`, as
 * Bun and Deno sockets have it: a proxy forwards what it got at once.
 * Node API: https://nodejs.org/api/net.html#netconnectoptions-connectlistener,
 * https://nodejs.org/api/tls.html#tlsconnectoptions-callback
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
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
import { NodeTransport } from './runtime.ts';
import { whenConnected, wrapSocket } from './socket.ts';

/**
 * Connects (TCP, Unix, or TLS with `tls: true` or `tls.connect()` options)
 * and resolves once connected (TLS: once the handshake is done). Rejects
 * with Node's error (its `code` kept), leaving no socket open.
 */
export async function connect(address: string | ConnectOptions<tls.ConnectionOptions>): Promise<SpliceSocket<net.Socket>> {
  const target = socketTarget(address, 'address', { hostname: 'localhost' });
  const options = typeof address === 'string' ? undefined : address;
  const settings = socketSettings(options, 'address');
  const secure = tlsOptions(options?.tls, true);
  // TLS over a net.Socket of our own: Node resets only plain TCP sockets, and
  // an abort must reach the peer as an RST (docs/adapters.md#resets; ./reset.ts).
  const plain = 'path' in target
    ? net.connect({ path: target.path, allowHalfOpen: true })
    : net.connect({ host: target.hostname, port: target.port, allowHalfOpen: true, noDelay: true });
  const socket = secure === undefined ? plain : tls.connect({ ...serverName(target), ...secure, socket: plain, allowHalfOpen: true } as tls.ConnectionOptions);
  const endpoint = wrapSocket(socket, settings, 'path' in target ? { remote: target.path } : undefined);
  try {
    // Connected: `opened` (its addresses) is made only if asked for.
    await whenConnected(NodeTransport.of(socket)!);
  } catch (error) {
    socket.destroy();
    plain.destroy();
    throw error;
  }
  return endpoint;
}

/** The name the certificate is checked against, and SNI for a name (not for an IP). */
function serverName(target: SocketTarget): tls.ConnectionOptions {
  if ('path' in target) return {};
  return net.isIP(target.hostname) === 0 ? { host: target.hostname, servername: target.hostname } : { host: target.hostname };
}

function tlsOptions<T extends object>(value: boolean | T | undefined, booleanAllowed: boolean): T | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true && booleanAllowed) return {} as T;
  if (typeof value !== 'object' || value === null) throw invalidArgType('address.tls', booleanAllowed ? 'a boolean or an object of tls.connect() options' : 'an object of tls.createServer() options', value);
  return value;
}

/**
 * Listens (TCP, Unix, or TLS with `tls.createServer()` options: `key`,
 * `cert`, ...) and resolves once bound. Accepted sockets (TLS: handshake
 * done) come out of the listener in order: `for await (const socket of listener)`.
 */
export async function listen(address: string | ListenOptions<tls.TlsOptions>): Promise<SpliceListener<SpliceSocket<net.Socket>>> {
  const target = socketTarget(address, 'address', { hostname: '127.0.0.1', port: 0 });
  const options = typeof address === 'string' ? undefined : address;
  const settings = socketSettings(options, 'address');
  const secure = tlsOptions(options?.tls, false);
  const listener = new NodeListener(target, settings);
  // allowHalfOpen: a client's FIN must end only its direction (docs/adapters.md).
  const server = secure === undefined
    ? net.createServer({ allowHalfOpen: true, noDelay: true }, listener.onSocket)
    : tls.createServer({ ...secure, allowHalfOpen: true, noDelay: true }, listener.onSocket);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen('path' in target ? { path: target.path } : { host: target.hostname, port: target.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Once bound, an accept error (EMFILE) or a failed handshake concerns one client: keep serving.
  server.on('error', ignore);
  return listener.bound(server);
}

const ignore = (): void => {};

class NodeListener extends SocketListener<SpliceSocket<net.Socket>> {
  readonly #settings: SocketSettings;
  readonly #unixPath: { local: string } | undefined;
  #server: net.Server | undefined;

  constructor(target: SocketTarget, settings: SocketSettings) {
    super(formatAddress(target), 'path' in target ? null : target.port);
    this.#settings = settings;
    this.#unixPath = 'path' in target ? { local: target.path } : undefined;
  }

  /** The server's connection listener. */
  readonly onSocket = (socket: net.Socket): void => {
    // Closed again before we got it (a TLS client gone after its handshake): nothing to hand out.
    if (socket.destroyed) return;
    this.accepted(wrapSocket(socket, this.#settings, this.#unixPath));
  };

  /** Listening: the address really bound (port 0 resolved). */
  bound(server: net.Server): this {
    this.#server = server;
    const where = server.address();
    if (this.#unixPath === undefined && where !== null && typeof where !== 'string') {
      this.address = formatAddress({ hostname: where.address, port: where.port });
      this.port = where.port;
    }
    return this;
  }

  protected stopAccepting(): Promise<void> {
    // server.close()'s own callback waits for every accepted socket to close: not ours to wait for.
    this.#server?.close();
    // The listening handle is freed in libuv's closing-handles phase, after this turn's check phase.
    return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
  }
}
