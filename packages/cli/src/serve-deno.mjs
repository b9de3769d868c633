// Accepting on Deno: Deno.listen / listenTls (with reusePort, which the
// adapter's own listen() does not pass), each conn wrapped by the Deno adapter.
import { connect, wrap } from '@sosplice/deno-adapter';
import { formatAddress } from './proxy.mjs';

export const connectTo = (target) => () => connect({ hostname: target.host, port: target.port });

/** Listens per `flags`; `reusePort` lets several processes share the port. */
export async function listen(flags, proxy, { reusePort = false } = {}) {
  const options = { hostname: flags.listen.host, port: flags.listen.port, reusePort };
  const listener = flags.tls
    ? Deno.listenTls({ ...options, cert: Deno.readTextFileSync(flags.tls.cert), key: Deno.readTextFileSync(flags.tls.key) })
    : Deno.listen(options);
  accept(listener, proxy);
  return { address: formatAddress(listener.addr.hostname, listener.addr.port), close: () => listener.close() };
}

// Accepting ends when the listener is closed. Never awaits a client: one slow
// upstream must not hold up the next accept. A TLS handshake that fails
// surfaces on the conn's first read, so it costs that client only.
async function accept(listener, proxy) {
  try {
    for await (const conn of listener) {
      const client = wrap(conn);
      proxy.handle(client, formatAddress(conn.remoteAddr.hostname, conn.remoteAddr.port));
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource)) throw error;
  }
}
