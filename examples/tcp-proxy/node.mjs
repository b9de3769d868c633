// tcp-proxy on Node: node examples/tcp-proxy/node.mjs --listen 127.0.0.1:8000 --target 127.0.0.1:9000
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { connect, fromNodeSocket } from '@sosplice/node-adapter';
import { flagsOrExit } from './cli.mjs';
import { createProxy, formatAddress, stopOnSignals } from './proxy.mjs';

const flags = flagsOrExit(process.argv.slice(2), (code) => process.exit(code));
const { target, listen } = flags;

const proxy = createProxy({
  target: formatAddress(target.host, target.port),
  connectTarget: () => connect({ host: target.host, port: target.port }),
  idle: flags.idle,
  max: flags.max,
});

const onClient = (socket) => proxy.handle(fromNodeSocket(socket), formatAddress(socket.remoteAddress, socket.remotePort));
// allowHalfOpen: a client's FIN must end only its direction (docs/adapters.md).
const server = flags.tls
  ? tls.createServer({ cert: readFileSync(flags.tls.cert), key: readFileSync(flags.tls.key), allowHalfOpen: true }, onClient)
  : net.createServer({ allowHalfOpen: true }, onClient);
// A failed handshake concerns one client; log it and keep serving.
server.on('tlsClientError', (error, socket) => console.log(`${formatAddress(socket.remoteAddress, socket.remotePort)} error: TLS: ${error.message}`));
server.on('error', (error) => {
  console.error(`tcp-proxy: ${error.message}`);
  process.exit(1);
});
server.listen(listen.port, listen.host, () => {
  const { address, port } = server.address();
  proxy.listening(formatAddress(address, port));
});

stopOnSignals(
  (signal, handler) => process.on(signal, handler),
  async () => {
    server.close(); // stop accepting; live connections go on until unspliced
    await proxy.shutdown();
  },
  (code) => process.exit(code),
);
