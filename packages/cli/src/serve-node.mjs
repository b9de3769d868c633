// Accepting on Node: net/tls servers, each socket wrapped by the Node adapter.
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { connect, wrap } from '@sosplice/node-adapter';
import { formatAddress } from './proxy.mjs';

// connect() sets noDelay, as Bun and Deno sockets have it.
export const connectTo = (target) => () => connect({ hostname: target.host, port: target.port });

/** Listens per `flags`; `reusePort` lets several processes share the port (Node >= 22.12). */
export function listen(flags, proxy, { reusePort = false } = {}) {
  const onClient = (socket) => {
    socket.setNoDelay(true);
    proxy.handle(wrap(socket), formatAddress(socket.remoteAddress, socket.remotePort));
  };
  // allowHalfOpen: a client's FIN must end only its direction (docs/adapters.md).
  const server = flags.tls
    ? tls.createServer({ cert: readFileSync(flags.tls.cert), key: readFileSync(flags.tls.key), allowHalfOpen: true }, onClient)
    : net.createServer({ allowHalfOpen: true }, onClient);
  // A failed handshake concerns one client; log it and keep serving.
  server.on('tlsClientError', (error, socket) => console.log(`${formatAddress(socket.remoteAddress, socket.remotePort)} error: TLS: ${error.message}`));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: flags.listen.port, host: flags.listen.host, reusePort }, () => {
      const { address, port } = server.address();
      resolve({ address: formatAddress(address, port), close: () => server.close() });
    });
  });
}
