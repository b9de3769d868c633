// http-gateway on Node: node examples/http-gateway/node.mjs --listen 127.0.0.1:8080 --target 127.0.0.1:3000
import net from 'node:net';
import { parseArgs } from 'node:util';
import { connect, fromNodeSocket } from '@sosplice/node-adapter';
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

const open = new Set();
const server = net.createServer({ allowHalfOpen: true }, async (socket) => {
  const peer = `${socket.remoteAddress}:${socket.remotePort}`;
  const client = fromNodeSocket(socket);
  open.add(client);
  const started = performance.now();
  let upstream;
  try {
    upstream = await connect({ host: target.host, port: target.port });
    open.add(upstream);
    const { requests, spliced } = await serveConnection(client, upstream, (line) => flags.verbose && console.log(`${peer} ${line}`));
    console.log(`${peer} ${requests} requests on one connection, ${spliced} body bytes spliced, ${((performance.now() - started) / 1000).toFixed(3)} s`);
  } catch (error) {
    console.log(`${peer} error: ${error.message}`);
  } finally {
    open.delete(client);
    open.delete(upstream);
    await Promise.all([client.close(), upstream?.close()]);
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
