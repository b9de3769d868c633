/**
 * Socket pairs for the adapter's own tests: two connected loopback sockets
 * both wrapped by the adapter (for echoes and loops), and a tiny splice
 * proxy in front of an echo or a custom backend.
 */
import net from 'node:net';
import { spliceBidirectional, type SplicePair } from '@sosplice/core';
import { connect, wrap, type SpliceSocket } from '@sosplice/node-adapter';

/** Listens on 127.0.0.1 with a backlog large enough for bursts of connects. */
export async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve);
  });
  return (server.address() as net.AddressInfo).port;
}

/** Two adapter sockets connected to each other. Close them with `close()`. */
export async function adapterPair(direct: boolean): Promise<{ x: SpliceSocket<net.Socket>; y: SpliceSocket<net.Socket>; close(): Promise<void> }> {
  const server = net.createServer({ allowHalfOpen: true });
  const port = await listen(server);
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const x = await connect({ hostname: '127.0.0.1', port, direct });
  const y = wrap(await accepted, { direct });
  server.close();
  return {
    x,
    y,
    async close() {
      await Promise.all([x.close(), y.close()]);
    },
  };
}

/**
 * A proxy that splices each client to a new connection to `backendPort`,
 * the way an application would use the library.
 */
export async function spliceProxy(backendPort: number, direct: boolean): Promise<{ port: number; pairs: SplicePair[]; close(): Promise<void> }> {
  const pairs: SplicePair[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    const downstream = wrap(client, { direct });
    connect({ hostname: '127.0.0.1', port: backendPort, direct }).then(
      (upstream) => {
        sockets.add(upstream.socket);
        upstream.socket.on('close', () => sockets.delete(upstream.socket));
        pairs.push(spliceBidirectional(downstream, upstream));
      },
      () => client.destroy(),
    );
  });
  const port = await listen(server);
  return {
    port,
    pairs,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A backend that echoes every connection and half-closes after the client's FIN. */
export async function echoServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  const port = await listen(server);
  return {
    port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Sends `data`, half-closes, and collects everything until the server's FIN. */
export function roundTrip(port: number, data: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => socket.end(data));
    socket.on('data', (chunk: Buffer) => parts.push(chunk));
    socket.on('end', () => {
      resolve(Buffer.concat(parts));
      socket.destroy();
    });
    socket.on('error', reject);
  });
}
