// http-gateway on Node: node examples/http-gateway/node.mjs --listen 127.0.0.1:8080 --target 127.0.0.1:3000
import net from 'node:net';
import { parseArgs } from 'node:util';
import { connect, wrap } from '@sosplice/node-adapter';
import { serveConnection } from './gateway.mjs';

const USAGE = 'usage: http-gateway --listen host:port --target host:port [--verbose]';
let flags;
try {
  flags = parseArgs({ options: { listen: { type: 'string' }, target: { type: 'string' }, verbose: { type: 'boolean' } } }).values;
  for (const name of ['listen', 'target']) {
    if (!/^.*:\d+$/.test(flags[name] ?? '')) throw new Error(`--${name} must be host:port`);
  }
} catch (error) {
  console.error(`http-gateway: ${error.message}\n${USAGE}`);
  process.exit(2);
}
const split = (text) => ({ host: text.slice(0, text.lastIndexOf(':')) || '0.0.0.0', port: Number(text.slice(text.lastIndexOf(':') + 1)) });
const listen = split(flags.listen);
const target = split(flags.target);

// A head and a long (spliced) body go out in separate writes: without noDelay each
// keep-alive exchange waits ~40 ms on Nagle against a delayed ACK
// (docs/runtimes.md); connect() sets it, and the server below too.
async function openUpstream() {
  const upstream = await connect({ hostname: target.host, port: target.port });
  open.add(upstream);
  return upstream;
}

const open = new Set();
const server = net.createServer({ allowHalfOpen: true, noDelay: true }, async (socket) => {
  const peer = `${socket.remoteAddress}:${socket.remotePort}`;
  socket.setNoDelay(true);
  const client = wrap(socket);
  open.add(client);
  const started = performance.now();
  let upstream;
  try {
    // A replaced upstream connection (the upstream closed it) is closed by serveConnection: forget it here.
    const nextUpstream = async () => {
      open.delete(upstream);
      return (upstream = await openUpstream());
    };
    const result = await serveConnection(client, nextUpstream, flags.verbose ? (r) => console.log(`${peer} ${r.method} ${r.target} → ${r.status}, body ${r.up} B up, ${r.down} B down`) : undefined);
    const refused = result.status === undefined ? '' : `, answered ${result.status}`;
    console.log(`${peer} ${result.requests} requests on one connection, ${result.forwarded} body bytes forwarded${refused}, ${((performance.now() - started) / 1000).toFixed(3)} s`);
  } catch (error) {
    console.log(`${peer} error: ${error.message}`);
  } finally {
    for (const endpoint of [client, upstream]) {
      if (endpoint === undefined) continue;
      open.delete(endpoint);
      await endpoint.close();
    }
  }
});
server.listen(listen.port, listen.host, () => console.log(`listening on ${listen.host}:${server.address().port}, forwarding to ${target.host}:${target.port}`));
server.on('error', (error) => {
  console.error(`http-gateway: ${error.message}`);
  process.exit(1);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    server.close();
    await Promise.all([...open].map((socket) => socket.close()));
    process.exit(0);
  });
}
