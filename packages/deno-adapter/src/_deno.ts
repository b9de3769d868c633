/**
 * Deno's socket API, declared structurally.
 *
 * Published `.d.ts` files must not require Deno's own types from users (a
 * Node or Bun project type-checking against this package has no `Deno`
 * namespace), so the few members the adapter touches are declared here, as
 * srvx does (https://github.com/h3js/srvx/blob/main/src/types/README.md).
 * Reference: https://docs.deno.com/api/deno/~/Deno.Conn
 */

/** `Deno.NetAddr` | `Deno.UnixAddr`, as far as the adapter reads them. */
export interface DenoAddr {
  readonly transport: string;
  readonly hostname?: string;
  readonly port?: number;
  readonly path?: string | null;
}

/**
 * The members of `Deno.Conn` (`TcpConn`, `TlsConn`, `UnixConn`) the adapter
 * builds on. `readable` / `writable` are deliberately absent: their ends close
 * the whole connection (denoland/deno#22258, #27510).
 */
export interface DenoConnLike {
  /** Resolves to the count read, or `null` at EOF; never closes the conn. */
  read(p: Uint8Array): Promise<number | null>;
  /** May write part of `p`; resolves to the count written. */
  write(p: Uint8Array): Promise<number>;
  /** `shutdown(SHUT_WR)`: sends FIN, the peer can still answer. */
  closeWrite(): Promise<void>;
  /** Full close; a pending `read()` resolves `null`. */
  close(): void;
  readonly localAddr: DenoAddr;
  readonly remoteAddr: DenoAddr;
  /** `Deno.TlsConn` only: completes the TLS handshake (otherwise lazy, on first I/O). */
  handshake?(): Promise<unknown>;
}

/** `Deno.Listener`, structurally. */
export interface DenoListenerLike {
  accept(): Promise<DenoConnLike>;
  close(): void;
  readonly addr: DenoAddr;
}

/** The part of the `Deno` namespace the `connect` / `listen` helpers call. */
export interface DenoNamespaceLike {
  connect(options: { transport?: 'tcp'; hostname?: string; port: number } | { transport: 'unix'; path: string }): Promise<DenoConnLike>;
  connectTls(options: { hostname?: string; port: number; caCerts?: string[] }): Promise<DenoConnLike>;
  listen(options: { transport?: 'tcp'; hostname?: string; port?: number } | { transport: 'unix'; path: string }): DenoListenerLike;
  listenTls(options: { hostname?: string; port?: number; cert: string; key: string }): DenoListenerLike;
}

/**
 * The `Deno` namespace, or a clear error when not running under Deno
 * (the helpers need it; `fromDenoConn` does not).
 */
export function denoNamespace(api: string): DenoNamespaceLike {
  const deno = (globalThis as { Deno?: DenoNamespaceLike }).Deno;
  if (deno === undefined || typeof deno.connect !== 'function') {
    throw Object.assign(new Error(`${api}() needs the Deno runtime (globalThis.Deno is missing)`), {
      name: 'Error',
      code: 'ERR_SOSPLICE_NOT_DENO',
    });
  }
  return deno;
}

/** Whether `value` looks like a `Deno.Conn` (the members the adapter calls). */
export function isDenoConn(value: unknown): value is DenoConnLike {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  return (
    typeof c.read === 'function' &&
    typeof c.write === 'function' &&
    typeof c.closeWrite === 'function' &&
    typeof c.close === 'function'
  );
}
