// tcp-proxy on Bun: bun examples/tcp-proxy/bun.mjs --listen 127.0.0.1:8000 --target 127.0.0.1:9000
import { connect, listen } from '@sosplice/bun-adapter';
import { flagsOrExit } from './cli.mjs';
import { createProxy, formatAddress, stopOnSignals } from './proxy.mjs';

const flags = flagsOrExit(process.argv.slice(2), (code) => process.exit(code));
const { target, listen: at } = flags;

const proxy = createProxy({
  target: formatAddress(target.host, target.port),
  connectTarget: () => connect({ hostname: target.host, port: target.port }),
  idle: flags.idle,
  max: flags.max,
});

const tls = flags.tls && { cert: Bun.file(flags.tls.cert), key: Bun.file(flags.tls.key) };
let listener;
try {
  listener = listen({ hostname: at.host, port: at.port, tls }, (client) =>
    proxy.handle(client, formatAddress(client.socket.remoteAddress, client.socket.remotePort)),
  );
} catch (error) {
  console.error(`tcp-proxy: ${error.message}`);
  process.exit(1);
}
proxy.listening(formatAddress(listener.hostname, listener.port));

stopOnSignals(
  (signal, handler) => process.on(signal, handler),
  async () => {
    listener.stop(); // stop accepting; live connections go on until unspliced
    await proxy.shutdown();
  },
  (code) => process.exit(code),
);
