// The proxy under measurement (Node or Bun): accepts on 127.0.0.1, connects
// each client to --target, splices both ways with sosplice, and prints one
// JSON line per finished connection: bytes each way, and (Node) the event
// loop utilization over the connection's life. The path follows the
// environment: SOSPLICE_NATIVE=0 keeps the adapters on their JS direct path.
//   node bench/native/proxy-child.mjs <targetPort>
//   bun  bench/native/proxy-child.mjs <targetPort>
import net from 'node:net';
import { spliceBidirectional } from '@sosplice/core';
import { nativeStats, nativeStatus } from '@sosplice/native';

const targetPort = Number(process.argv[2]);
const isBun = typeof globalThis.Bun !== 'undefined';
const elu = () => performance.eventLoopUtilization?.();

async function serve(client, upstream) {
  const start = elu();
  const [up, down] = await spliceBidirectional(client, upstream).done;
  const used = start === undefined ? undefined : performance.eventLoopUtilization(start).utilization;
  console.log(JSON.stringify({ up: up.bytes, down: down.bytes, elu: used, kernelSplices: nativeStats().started }));
  await Promise.all([client.close(), upstream.close()]);
}

let port;
if (isBun) {
  const { connect, listen } = await import('@sosplice/bun-adapter');
  const listener = await listen({ hostname: '127.0.0.1', port: 0 });
  void (async () => {
    for await (const client of listener) void connect({ hostname: '127.0.0.1', port: targetPort }).then((upstream) => serve(client, upstream));
  })();
  port = listener.port;
} else {
  const { connect, wrap } = await import('@sosplice/node-adapter');
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, async (socket) =>
    serve(wrap(socket), await connect({ hostname: '127.0.0.1', port: targetPort })),
  );
  await new Promise((resolve) => server.listen(0, '127.0.0.1', 4096, resolve));
  port = server.address().port;
}
const status = nativeStatus();
console.log(JSON.stringify({ port, kernel: status.available && status.enabled, reason: status.reason }));
