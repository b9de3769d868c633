// Load for the benchmarks this folder's runner owns (scale, socat, haproxy):
// a sink that counts every byte and clients that push, plain node:net in the
// orchestrating process, so that only the proxy process is measured.
import net from 'node:net';
import { once } from 'node:events';

const CHUNK = Buffer.alloc(65536, 0x5a);

/** A sink that counts every byte of every connection; `until(n)` resolves once n bytes arrived in total. */
export async function startSink() {
  let got = 0;
  let want = Infinity;
  let wake;
  const sockets = new Set();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.on('end', () => socket.end()); // the client is done: close our side too
    socket.on('data', (chunk) => {
      got += chunk.length;
      if (got >= want) wake?.();
    });
  });
  server.listen(0, '127.0.0.1', 4096);
  await once(server, 'listening');
  return {
    port: server.address().port,
    get received() {
      return got;
    },
    until(n) {
      want = n;
      return got >= n ? Promise.resolve() : new Promise((resolve) => (wake = resolve));
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Opens `n` connections, in batches: a 1,000-connection burst can overflow an accept backlog. */
export async function openClients(port, n) {
  const clients = [];
  for (let i = 0; i < n; i += 100) {
    const batch = Array.from({ length: Math.min(100, n - i) }, async () => {
      const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
      socket.on('error', () => {});
      await once(socket, 'connect');
      return socket;
    });
    clients.push(...(await Promise.all(batch)));
  }
  return clients;
}

/** Writes `bytes` from one reused 64 KiB buffer, honouring backpressure. */
export async function push(socket, bytes) {
  for (let sent = 0; sent < bytes; ) {
    const n = Math.min(CHUNK.length, bytes - sent);
    sent += n;
    if (!socket.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) await once(socket, 'drain');
  }
}

/** Resolves once something accepts connections on `port` (for proxies that print nothing). */
export async function waitForListener(port, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const socket = net.connect({ port, host: '127.0.0.1' });
    const ok = await new Promise((resolve) => {
      socket.once('connect', () => resolve(true));
      socket.once('error', () => resolve(false));
    });
    socket.destroy();
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port} after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A port free right now (bound, then released). */
export async function freePort() {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export { median } from './_stats.mjs';
