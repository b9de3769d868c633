/**
 * `connect()` / `listen()`: open Deno conns (TCP, TLS, Unix) and hand them
 * over as `SpliceSocket`s, with the addresses and options every adapter
 * takes (docs/adapters.md#one-shape).
 */
import {
  SocketListener,
  formatAddress,
  invalidArgType,
  socketSettings,
  socketTarget,
  type ConnectOptions,
  type ListenOptions,
  type SocketSettings,
  type SpliceListener,
  type SpliceSocket,
} from '@sosplice/core/socket';
import { openConn, openListener, type DenoConnectTlsOptions, type DenoConnLike, type DenoListenerLike, type DenoListenTlsOptions } from './runtime.ts';
import { wrapConn } from './socket.ts';

/** `tls`, checked: `undefined` for plain TCP or Unix. */
function tlsOf<T extends object>(address: string | { tls?: unknown; path?: string }, allowTrue: boolean): T | undefined {
  if (typeof address === 'string' || address.tls === undefined || address.tls === false) return undefined;
  const { tls } = address;
  if (address.path !== undefined) throw invalidArgType('address.tls', 'left out with a Unix path', tls);
  if (tls === true && allowTrue) return {} as T;
  if (typeof tls !== 'object' || tls === null) throw invalidArgType('address.tls', allowTrue ? 'true or an object' : 'an object ({ cert, key })', tls);
  return tls as T;
}

/**
 * Connects to `"host:port"`, `{ hostname, port }` or `{ path }` and
 * resolves once connected (TLS, `tls: true` or `{ caCerts }`: once the
 * handshake is done, so a certificate error rejects here). Rejects with
 * Deno's own error (`ConnectionRefused`, code `ECONNREFUSED`, ...).
 */
export async function connect(address: string | ConnectOptions<DenoConnectTlsOptions>): Promise<SpliceSocket<DenoConnLike>> {
  const target = socketTarget(address, 'address', { hostname: 'localhost' });
  const settings = socketSettings(typeof address === 'string' ? undefined : address, 'address');
  const conn = await openConn(target, tlsOf<DenoConnectTlsOptions>(address, true));
  return wrapConn(conn, settings);
}

/**
 * Listens on `"host:port"`, `{ hostname, port }` (default `127.0.0.1`, a
 * free port) or `{ path }`, with TLS when `tls` (`{ cert, key }`, PEM) is
 * given. Accepted conns come out of `for await (const socket of listener)`,
 * wrapped with the same options.
 */
export async function listen(address: string | ListenOptions<DenoListenTlsOptions>): Promise<SpliceListener<SpliceSocket<DenoConnLike>>> {
  const target = socketTarget(address, 'address', { hostname: '127.0.0.1', port: 0 });
  const settings = socketSettings(typeof address === 'string' ? undefined : address, 'address');
  return new DenoListener(openListener(target, tlsOf<DenoListenTlsOptions>(address, false)), settings);
}

class DenoListener extends SocketListener<SpliceSocket<DenoConnLike>> {
  readonly #listener: DenoListenerLike;

  constructor(listener: DenoListenerLike, settings: SocketSettings) {
    const addr = listener.addr;
    super(addr.port === undefined ? (addr.path ?? '') : formatAddress({ hostname: addr.hostname ?? '', port: addr.port }), addr.port ?? null);
    this.#listener = listener;
    void this.#accept(settings);
  }

  // One accept at a time, each conn wrapped and queued at once: nothing else per conn.
  async #accept(settings: SocketSettings): Promise<void> {
    let backoff = 0;
    while (!this.closing) {
      let conn: DenoConnLike;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        // Closed (by close(), or by whoever holds the Deno listener): accepting is over.
        const name = (error as Error | null)?.name;
        if (this.closing || name === 'BadResource' || name === 'Interrupted') break;
        // Out of fds and the like: wait a little and accept again.
        backoff = Math.min(1000, backoff === 0 ? 5 : backoff * 2);
        await new Promise((resolve) => setTimeout(resolve, backoff));
        continue;
      }
      backoff = 0;
      this.accepted(wrapConn(conn, settings));
    }
    this.ended();
  }

  protected stopAccepting(): void {
    this.#listener.close();
  }
}
