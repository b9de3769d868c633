// The proxy under measurement, in its own process so its CPU and RSS are its
// own. Usage: node _proxy-child.mjs <variant> <upstreamPort>
// Prints {"port"} once listening, then {"cpu","rss"} when asked on stdin
// (the orchestrator asks once the sink has every byte: `Duplex.toWeb` on
// Node 20 never finishes a half-close, docs/runtimes.md), and exits.
import net from 'node:net';
import { Duplex } from 'node:stream';
import { spliceBidirectional } from '@sosplice/core';
import { wrap } from '@sosplice/node-adapter';

const [variant, upstreamPort] = process.argv.slice(2);

const variants = {
  pipe(client, upstream) {
    client.pipe(upstream);
    upstream.pipe(client);
  },
  toweb(client, upstream) {
    const a = Duplex.toWeb(client);
    const b = Duplex.toWeb(upstream);
    a.readable.pipeTo(b.writable).catch(() => {});
    b.readable.pipeTo(a.writable).catch(() => {});
  },
  generic(client, upstream) {
    spliceBidirectional(wrap(client, { direct: false }), wrap(upstream, { direct: false }));
  },
  direct(client, upstream) {
    spliceBidirectional(wrap(client), wrap(upstream));
  },
};
const run = variants[variant];
if (!run) throw new Error(`unknown variant ${variant}`);

let startCpu;
const server = net.createServer({ allowHalfOpen: true }, (client) => {
  startCpu = process.cpuUsage();
  const upstream = net.connect({ host: '127.0.0.1', port: Number(upstreamPort), allowHalfOpen: true });
  client.on('error', () => {});
  upstream.on('error', () => {});
  run(client, upstream);
});
process.stdin.once('data', () => {
  const cpu = process.cpuUsage(startCpu);
  const rss = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(`${JSON.stringify({ cpu: (cpu.user + cpu.system) / 1e6, user: cpu.user / 1e6, rss })}\n`, () => process.exit(0));
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
