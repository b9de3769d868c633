// The load: a sink server and a sender, both plain node:net, in the
// orchestrating process (not measured). One connection, one way.
import net from 'node:net';

/** A server that swallows one connection at a time and reports once `total` bytes arrived. */
export async function startSink() {
  let want = Number.POSITIVE_INFINITY;
  let onDone;
  const sockets = new Set();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('end', () => socket.destroy());
    let got = 0;
    socket.on('data', (chunk) => {
      got += chunk.length;
      if (got >= want) onDone?.(got);
    });
    socket.on('error', () => {});
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    received: (total) => {
      want = total;
      return new Promise((resolve) => (onDone = resolve));
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Sends `total` bytes through `port` from one reused 64 KiB buffer; resolves with seconds until the sink got them all. */
export async function pushThrough(port, total, sink) {
  const buffer = Buffer.alloc(65536, 0x5a);
  const received = sink.received(total);
  const started = process.hrtime.bigint();
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.resume();
  let sent = 0;
  while (sent < total) {
    const n = Math.min(buffer.length, total - sent);
    sent += n;
    if (!socket.write(n === buffer.length ? buffer : buffer.subarray(0, n))) {
      await new Promise((resolve) => socket.once('drain', resolve));
    }
  }
  const got = await received;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  socket.destroy();
  if (got !== total) throw new Error(`sink got ${got} of ${total} bytes`);
  return seconds;
}
