/**
 * `wrap()`: a Node socket (`net.Socket` over TCP or Unix, `tls.TLSSocket`)
 * as a `SpliceSocket`, the one shape of every adapter
 * (docs/adapters.md#one-shape): a WinterTC-style socket that is also a
 * `SpliceEndpoint`, built on the socket kit of `@sosplice/core/socket`. Its
 * streams are made on first access, and it carries the direct mark itself
 * (SPEC 6.2): a splice between two of them needs no Web Streams.
 * Node API: https://nodejs.org/api/net.html#class-netsocket
 */
import * as net from 'node:net';
import { spliceAddresses, type SpliceAddresses } from '@sosplice/core';
import {
  SocketClosedError,
  SocketEndpoint,
  invalidArgType,
  socketAlreadyClosed,
  socketSettings,
  socketWrapped,
  type SocketInfo,
  type SocketSettings,
  type SpliceSocket,
  type SpliceSocketOptions,
} from '@sosplice/core/socket';
import { nodeDirectProvider } from './direct.ts';
import { NodeTransport } from './runtime.ts';

/**
 * Wraps a `net.Socket` (TCP IPv4/IPv6, Unix) or a `tls.TLSSocket`, once.
 *
 * The adapter takes the socket's reading over (`'data'`, `pause()`/`resume()`)
 * and sets `socket.allowHalfOpen = true`, so that the peer's FIN ends only
 * `readable` and our side can still answer (Node ends the write side at the
 * peer's FIN otherwise). Refuses a socket wrapped already
 * (`ERR_SOCKET_WRAPPED`) and a destroyed one (`SocketClosedError`).
 *
 * @example
 * ```ts
 * const server = net.createServer({ allowHalfOpen: true }, async (client) => {
 *   const upstream = await connect('127.0.0.1:8080');
 *   spliceBidirectional(wrap(client), upstream);
 * });
 * ```
 */
export function wrap(socket: net.Socket, options?: SpliceSocketOptions): SpliceSocket<net.Socket> {
  if (!(socket instanceof net.Socket)) throw invalidArgType('socket', 'an instance of net.Socket or tls.TLSSocket', socket);
  return wrapSocket(socket, socketSettings(options));
}

/** `wrap()` with checked settings; connect() and listen() add a Unix socket's path (Node cannot read it back). */
export function wrapSocket(socket: net.Socket, settings: SocketSettings, unixPath?: { local?: string; remote?: string }): NodeSocket {
  // Two wrappers would share the socket's 'data': each would lose bytes to the other.
  if (NodeTransport.of(socket) !== undefined) throw socketWrapped('socket', socket);
  // A destroyed socket can never open: say so now, rather than hand back an endpoint that only fails later.
  if (socket.destroyed) throw socketAlreadyClosed('socket');
  return new NodeSocket(new NodeTransport(socket, settings.highWaterMark, unixPath), settings);
}

/**
 * What `wrap()` returns: the kit's endpoint (lazy streams, the endpoint
 * mark, `unshift()`, the counters) plus what needs Node. A class, so that
 * its methods and getters live on the prototype rather than as closures
 * per socket; `opened`, `closed` and the addresses are made when asked,
 * not on the accept path.
 */
class NodeSocket extends SocketEndpoint implements SpliceSocket<net.Socket> {
  readonly #transport: NodeTransport;
  readonly #linger: number;
  #opened: Promise<SocketInfo> | undefined;

  constructor(transport: NodeTransport, settings: SocketSettings) {
    // A socket its owner paused stays paused until the read side wants bytes.
    super(transport, settings.highWaterMark, settings.direct ? nodeDirectProvider : undefined, transport.socket.readableFlowing === false);
    this.#transport = transport;
    this.#linger = settings.linger;
    transport.attach(this.read, this.write);
  }

  get socket(): net.Socket {
    return this.#transport.socket;
  }

  get opened(): Promise<SocketInfo> {
    return (this.#opened ??= whenOpened(this.#transport));
  }

  get closed(): Promise<void> {
    return this.#transport.closed;
  }

  /** docs/adapters.md#closing: FIN after the queued bytes, resolves once fully closed or after `linger`; never rejects. */
  close(): Promise<void> {
    return this.#transport.close(this.#linger);
  }

  [spliceAddresses](): SpliceAddresses {
    const { localAddress, remoteAddress } = this.#transport.info();
    return { local: localAddress, remote: remoteAddress };
  }
}

export type { NodeSocket };

/** `opened`: at once for a connected socket; otherwise once connected (TLS: handshake done), or why not. */
function whenOpened(transport: NodeTransport): Promise<SocketInfo> {
  if (transport.wasOpen) return Promise.resolve(transport.info());
  const opened = whenConnected(transport).then(() => transport.info());
  // Nobody has to observe `opened` (connect() waits for the connection itself).
  opened.catch(() => {});
  return opened;
}

/** Resolves once the socket is connected (TLS: handshake done), without reading its addresses; rejects with why not. */
export function whenConnected(transport: NodeTransport): Promise<void> {
  if (transport.wasOpen) return Promise.resolve();
  const socket = transport.socket;
  if (socket.destroyed) return rejected(transport.failed ? transport.failure : new SocketClosedError('The socket closed before it was connected'));
  return new Promise<void>((resolve, reject) => {
    const event = transport.openEvent;
    const done = (error?: unknown): void => {
      socket.off(event, onReady);
      socket.off('error', done);
      socket.off('close', onClose);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onReady = (): void => done();
    const onClose = (): void => done(new SocketClosedError('The socket closed before it was connected'));
    socket.once(event, onReady);
    socket.once('error', done);
    socket.once('close', onClose);
  });
}

function rejected<T>(error: unknown): Promise<T> {
  const promise = Promise.reject(error);
  promise.catch(() => {});
  return promise;
}
