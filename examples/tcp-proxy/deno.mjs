// tcp-proxy on Deno: deno run -A examples/tcp-proxy/deno.mjs --listen 127.0.0.1:8000 --target 127.0.0.1:9000
import { connect, listen } from '@sosplice/deno-adapter';
import { flagsOrExit } from './cli.mjs';
import { createProxy, formatAddress, stopOnSignals } from './proxy.mjs';

const flags = flagsOrExit(Deno.args, (code) => Deno.exit(code));
const { target, listen: at } = flags;

const proxy = createProxy({
  target: formatAddress(target.host, target.port),
  connectTarget: () => connect({ hostname: target.host, port: target.port }),
  idle: flags.idle,
  max: flags.max,
});

const tls = flags.tls && { cert: Deno.readTextFileSync(flags.tls.cert), key: Deno.readTextFileSync(flags.tls.key) };
let listener;
try {
  listener = listen({ hostname: at.host, port: at.port, tls });
} catch (error) {
  console.error(`tcp-proxy: ${error.message}`);
  Deno.exit(1);
}
proxy.listening(formatAddress(listener.addr.hostname, listener.addr.port));

stopOnSignals(
  (signal, handler) => Deno.addSignalListener(signal, handler),
  async () => {
    listener.close(); // stop accepting; live connections go on until unspliced
    await proxy.shutdown();
  },
  (code) => Deno.exit(code),
);

// Accepting ends when the listener is closed. A TLS handshake that fails
// surfaces on the conn's first read, so it costs that client only.
for await (const client of listener) {
  const addr = client.conn.remoteAddr;
  proxy.handle(client, formatAddress(addr.hostname, addr.port));
}
