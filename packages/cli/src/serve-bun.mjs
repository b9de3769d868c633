// Accepting on Bun: the Bun adapter's listen() and connect().
import { connect, listen as bunListen } from '@sosplice/bun-adapter';
import { formatAddress } from './proxy.mjs';

export const connectTo = (target) => () => connect({ hostname: target.host, port: target.port });

/** Listens per `flags`; `reusePort` lets several processes share the port. */
export async function listen(flags, proxy, { reusePort = false } = {}) {
  const tls = flags.tls && { cert: Bun.file(flags.tls.cert), key: Bun.file(flags.tls.key) };
  const listener = await bunListen({ hostname: flags.listen.host, port: flags.listen.port, tls: tls || undefined, reusePort });
  void (async () => {
    // Bun's own socket names the peer at once (no `opened` promise per connection).
    for await (const client of listener) proxy.handle(client, formatAddress(client.socket.remoteAddress, client.socket.remotePort));
  })();
  return { address: listener.address, close: () => listener.close() };
}
