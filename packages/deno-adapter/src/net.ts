/**
 * `connect` / `listen`: open Deno conns (TCP, TLS, Unix) and hand them over
 * as {@link DenoSocket}s. Thin wrappers over `Deno.connect`, `Deno.connectTls`,
 * `Deno.listen` and `Deno.listenTls`
 * (https://docs.deno.com/api/deno/~/Deno.connect).
 */
import { denoNamespace, type DenoAddr, type DenoListenerLike } from './_deno.ts';
import { fromDenoConn, socketSettings, type DenoSocket, type DenoSocketOptions } from './socket.ts';

/** Where {@link connect} goes. `tls` adds TLS over TCP. */
export type DenoConnectOptions = DenoSocketOptions &
  (
    | { transport?: 'tcp'; hostname?: string; port: number; tls?: false }
    | { transport?: 'tcp'; hostname?: string; port: number; tls: true; caCerts?: string[] }
    | { transport: 'unix'; path: string }
  );

/** Where {@link listen} listens. `tls` (PEM cert and key) adds TLS over TCP. */
export type DenoListenOptions = DenoSocketOptions &
  (
    | { transport?: 'tcp'; hostname?: string; port?: number; tls?: undefined }
    | { transport?: 'tcp'; hostname?: string; port?: number; tls: { cert: string; key: string } }
    | { transport: 'unix'; path: string }
  );

/** A listener whose connections arrive as {@link DenoSocket}s. */
export interface DenoSocketListener extends AsyncIterable<DenoSocket> {
  readonly addr: DenoAddr;
  /** The next connection; rejects (`BadResource`) once the listener is closed. */
  accept(): Promise<DenoSocket>;
  /** Stops listening; open sockets stay open. */
  close(): void;
}

/** The adapter's own options, checked before any conn is opened (a bad one leaks nothing). */
function socketOptions(options: DenoSocketOptions): DenoSocketOptions {
  return socketSettings(options);
}

function checkObject(name: string, value: unknown): void {
  if (typeof value !== 'object' || value === null) {
    throw Object.assign(new TypeError(`The "${name}" argument must be an object. Received ${value === null ? 'null' : typeof value}`), {
      code: 'ERR_INVALID_ARG_TYPE',
    });
  }
}

/**
 * Connects and resolves once the conn is open (for TLS: handshake done, so
 * certificate errors surface here, not on the first read). Errors are
 * Deno's (`ConnectionRefused`, `InvalidData`, ...).
 */
export async function connect(options: DenoConnectOptions): Promise<DenoSocket> {
  checkObject('options', options);
  const deno = denoNamespace('connect');
  const adapt = socketOptions(options);
  if (options.transport === 'unix') {
    return fromDenoConn(await deno.connect({ transport: 'unix', path: options.path }), adapt);
  }
  const { hostname, port } = options;
  if (options.tls !== true) return fromDenoConn(await deno.connect({ transport: 'tcp', hostname, port }), adapt);
  const conn = await deno.connectTls({ hostname, port, caCerts: options.caCerts });
  try {
    await conn.handshake?.();
  } catch (error) {
    conn.close();
    throw error;
  }
  return fromDenoConn(conn, adapt);
}

/** Listens (synchronously, as `Deno.listen`); accepted conns are adapted with the same options. */
export function listen(options: DenoListenOptions): DenoSocketListener {
  checkObject('options', options);
  const deno = denoNamespace('listen');
  const adapt = socketOptions(options);
  let listener: DenoListenerLike;
  if (options.transport === 'unix') {
    listener = deno.listen({ transport: 'unix', path: options.path });
  } else if (options.tls !== undefined) {
    listener = deno.listenTls({ hostname: options.hostname, port: options.port ?? 0, ...options.tls });
  } else {
    listener = deno.listen({ transport: 'tcp', hostname: options.hostname, port: options.port ?? 0 });
  }
  const accept = async (): Promise<DenoSocket> => fromDenoConn(await listener.accept(), adapt);
  return {
    addr: listener.addr,
    accept,
    close: () => listener.close(),
    async *[Symbol.asyncIterator]() {
      for (;;) {
        let socket: DenoSocket;
        try {
          socket = await accept();
        } catch (error) {
          // Deno ends its own listener iteration the same way on close.
          if ((error as Error | null)?.name === 'BadResource' || (error as Error | null)?.name === 'Interrupted') return;
          throw error;
        }
        yield socket;
      }
    },
  };
}
