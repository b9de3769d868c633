/**
 * UDP endpoints over Node's `dgram` (docs/datagrams.md): `bindDatagram` for a bound,
 * unconnected socket (a server: read anything, answer through `peer()`),
 * `connectDatagram` for a socket connected to one peer (a drain). The queue,
 * streams and splice marks are core's `DatagramEndpoint`; this file only
 * wires the socket. `dgram` cannot pause reception: see `queueLimit` and
 * `dropped` there.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
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


/** A datagram endpoint over a runtime UDP socket, the same on every runtime. */
export class NodeDatagramEndpoint extends DatagramEndpoint {
  constructor(socket: Socket, remote: DatagramAddress | undefined, options: DatagramQueueOptions) {
    let closed = false;
    const sendTo = (datagram: Uint8Array, hostname: string, port: number): Promise<void> =>
      new Promise((resolve, reject) => socket.send(datagram, port, hostname, (error) => (error ? reject(error) : resolve())));
    super(
      {
        send: (datagram) => {
          if (remote === undefined) throw notConnected();
          return new Promise((resolve, reject) => socket.send(datagram, (error) => (error ? reject(error) : resolve())));
        },
        sendWithCallback: (datagram, done) => {
          if (remote === undefined) throw notConnected();
          socket.send(datagram, done); // done(null) on success
        },
        sendTo,
        connected: () => remote !== undefined,
        close: () => {
          if (closed) return;
          closed = true;
          socket.close();
        },
      },
      options,
      { hostname: socket.address().address, port: socket.address().port },
      remote,
    );
    socket.on('message', (message, info) => this.receiveFrom(new Uint8Array(message.buffer, message.byteOffset, message.byteLength), info.address, info.port));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => {
      closed = true;
      void this.close();
    });
  }
}

/** Binds a UDP socket: reads every datagram sent to it; not a drain until given a peer. */
export async function bindDatagram(options: BindDatagramOptions = {}): Promise<NodeDatagramEndpoint> {
  const socket = await open(options);
  return new NodeDatagramEndpoint(socket, undefined, options);
}

/** Binds a UDP socket and connects it to `options.remote`: a drain, reading only that peer's datagrams. */
export async function connectDatagram(options: ConnectDatagramOptions): Promise<NodeDatagramEndpoint> {
  const { remote, local } = connectOptions(options);
  const socket = await open(local);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(remote.port, remote.hostname, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return new NodeDatagramEndpoint(socket, remote, options);
}

function open(options: BindDatagramOptions): Promise<Socket> {
  const hostname = options.hostname ?? '127.0.0.1';
  const socket = createSocket({ type: isIPv6(hostname) ? 'udp6' : 'udp4' });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port ?? 0, hostname, () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}
