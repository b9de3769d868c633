/**
 * UDP endpoints over `Bun.udpSocket` (docs/datagrams.md), the same names and shape
 * as the Node and Deno adapters: `bindDatagram` (bound, unconnected: a
 * server that answers through `peer()`), `connectDatagram` (connected to one
 * peer: a drain). The queue, streams and splice marks are core's
 * `DatagramEndpoint`. Bun cannot pause reception: see `queueLimit` and
 * `dropped` there. `send()` returning false means the kernel buffer is full:
 * the datagram is sent again on `drain`, so none is lost on our side.
 */
import {
  type BindDatagramOptions,
  type ConnectDatagramOptions,
  connectOptions,
  type DatagramAddress,
  DatagramEndpoint,
  type DatagramQueueOptions,
  notConnected,
} from '@sosplice/core/datagram';

export type { BindDatagramOptions, ConnectDatagramOptions, DatagramAddress };


/** The parts of Bun's UDP socket used here (declared structurally, as ./runtime.ts does for TCP). */
interface BunUdpSocket {
  send(data: Uint8Array, port?: number, hostname?: string): boolean;
  close(): void;
  readonly port: number;
  readonly hostname: string;
}

interface BunUdpOptions {
  hostname: string;
  port: number;
  binaryType: 'uint8array';
  connect?: { hostname: string; port: number };
  socket: {
    data(socket: BunUdpSocket, data: Uint8Array, port: number, address: string): void;
    drain(socket: BunUdpSocket): void;
    error(socket: BunUdpSocket, error: Error): void;
  };
}

declare const Bun: { udpSocket(options: BunUdpOptions): Promise<BunUdpSocket> };

/** A datagram endpoint over a runtime UDP socket, the same on every runtime. */
export class BunDatagramEndpoint extends DatagramEndpoint {
  /** @internal use `bindDatagram` / `connectDatagram`. */
  constructor(socket: BunUdpSocket, remote: DatagramAddress | undefined, options: DatagramQueueOptions, hooks: Hooks) {
    let closed = false;
    // Sends refused for a full buffer, retried in order on `drain`.
    const blocked: (() => boolean)[] = [];
    const sendOrWait = (attempt: () => boolean): Promise<void> | void => {
      if (blocked.length === 0 && attempt()) return;
      return new Promise<void>((resolve, reject) =>
        blocked.push(() => {
          try {
            if (!attempt()) return false;
            resolve();
          } catch (error) {
            reject(error);
          }
          return true;
        }),
      );
    };
    hooks.drain = () => {
      while (blocked.length > 0 && blocked[0]!()) blocked.shift();
    };
    super(
      {
        send: (datagram) => {
          if (remote === undefined) throw notConnected();
          return sendOrWait(() => socket.send(datagram));
        },
        sendTo: (datagram, hostname, port) => sendOrWait(() => socket.send(datagram, port, hostname)),
        connected: () => remote !== undefined,
        close: () => {
          if (closed) return;
          closed = true;
          socket.close();
        },
      },
      options,
      { hostname: socket.hostname, port: socket.port },
      remote,
    );
    hooks.data = (data, port, address) => this.receiveFrom(data, address, port);
    // Bun reports a failed send (EMSGSIZE) again from its error queue; the send already threw it.
    hooks.error = (error) => {
      if ((error as { code?: string }).code !== 'EMSGSIZE') this.fail(error);
    };
  }
}

interface Hooks {
  data: (data: Uint8Array, port: number, address: string) => void;
  drain: () => void;
  error: (error: Error) => void;
}

/** Binds a UDP socket: reads every datagram sent to it; not a drain until given a peer. */
export function bindDatagram(options: BindDatagramOptions = {}): Promise<BunDatagramEndpoint> {
  return open(options, undefined);
}

/** Binds a UDP socket and connects it to `options.remote`: a drain, reading only that peer's datagrams. */
export function connectDatagram(options: ConnectDatagramOptions): Promise<BunDatagramEndpoint> {
  const { remote, local } = connectOptions(options);
  return open(local, remote);
}

async function open(options: BindDatagramOptions, remote: DatagramAddress | undefined): Promise<BunDatagramEndpoint> {
  // Events before the endpoint exists cannot happen (no await between bind and construction), but keep them safe.
  const hooks: Hooks = { data: () => {}, drain: () => {}, error: () => {} };
  const socket = await Bun.udpSocket({
    hostname: options.hostname ?? '127.0.0.1',
    port: options.port ?? 0,
    binaryType: 'uint8array',
    ...(remote === undefined ? {} : { connect: remote }),
    socket: {
      data: (_socket, data, port, address) => hooks.data(data, port, address),
      drain: () => hooks.drain(),
      error: (_socket, error) => hooks.error(error),
    },
  });
  return new BunDatagramEndpoint(socket, remote, options, hooks);
}
