// Run by packaged.node.test.ts in a child process, through the built
// packages (dist, as an application imports them): a splice between two
// adapter sockets, and what @sosplice/native says about it. With the addon
// forced absent (SOSPLICE_NATIVE_ADDON=<missing path>) the splice runs on
// the JS direct path. Prints one JSON line.
import net from 'node:net';
import { spliceStreams } from '@sosplice/core';
import { nativeStats, nativeStatus } from '@sosplice/native';

const isBun = typeof globalThis.Bun !== 'undefined';
const { connect } = isBun ? await import('@sosplice/bun-adapter') : await import('@sosplice/node-adapter');

const size = 1 << 20;
const input = new Uint8Array(size).map((_, i) => (i * 31) & 0xff);
let received = 0;
let accepted = 0;
let done;
const finished = new Promise((resolve) => (done = resolve));
// Accepted first: the source's peer, which sends; then the drain's peer, which counts.
const server = net.createServer({ allowHalfOpen: true }, (socket) => {
  if (accepted++ === 0) socket.end(input);
  else socket.on('data', (chunk) => (received += chunk.byteLength)).on('end', () => done());
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const where = { hostname: '127.0.0.1', host: '127.0.0.1', port: server.address().port };
const a = await connect(where);
const b = await connect(where);
const result = await spliceStreams(a.readable, b.writable).done;
await finished;
console.log(JSON.stringify({ status: nativeStatus(), stats: nativeStats(), result: { reason: result.reason, bytes: result.bytes }, received }));
await a.close();
await b.close();
server.close();
