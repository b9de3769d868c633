// The baseline for the scale section's memory figure on Node: the same
// proxy as the sosplice command (packages/cli) but with `a.pipe(b)` and no sosplice,
// so that "RSS per idle connection" can be split into what Node's sockets
// cost anyway and what the splice adds. Same command line and log lines.
import net from 'node:net';
import { parseArgs } from 'node:util';

// Only --target matters here; the proxy's other flags are accepted and ignored.
const { values } = parseArgs({ options: { target: { type: 'string' } }, strict: false });
const [host, port] = values.target.split(':');
const server = net.createServer({ allowHalfOpen: true }, (client) => {
  const upstream = net.connect({ host, port: Number(port), allowHalfOpen: true });
  const peer = `${client.remoteAddress}:${client.remotePort}`;
  let closed = 0;
  const done = () => ++closed === 2 && console.log(`${peer} up ${upstream.bytesWritten} B (eof), down ${client.bytesWritten} B (eof), 0.000 s`);
  for (const s of [client, upstream]) {
    s.setNoDelay(true); // as the sosplice command does
    s.on('error', () => {
      client.destroy();
      upstream.destroy();
    });
    s.on('close', done);
  }
  client.pipe(upstream);
  upstream.pipe(client);
});
server.listen(0, '127.0.0.1', () => console.log(`listening on 127.0.0.1:${server.address().port}, forwarding to ${values.target}`));
process.on('SIGINT', () => process.exit(0));
