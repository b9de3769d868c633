// Accepting on Bun: Bun.listen through the Bun adapter.
import { connect, listen as bunListen } from '@sosplice/bun-adapter';
import { formatAddress } from './proxy.mjs';

export const connectTo = (target) => () => connect({ hostname: target.host, port: target.port });

/** Listens per `flags`; `reusePort` lets several processes share the port. */
export async function listen(flags, proxy, { reusePort = false } = {}) {
  const tls = flags.tls && { cert: Bun.file(flags.tls.cert), key: Bun.file(flags.tls.key) };
  const listener = bunListen({ hostname: flags.listen.host, port: flags.listen.port, tls, reusePort }, (client) =>
    proxy.handle(client, formatAddress(client.socket.remoteAddress, client.socket.remotePort)),
  );
  return { address: formatAddress(listener.hostname, listener.port), close: () => listener.stop() };
}
