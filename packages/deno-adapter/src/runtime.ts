/**
 * The only file that calls Deno's socket API (https://docs.deno.com/api/deno/~/Deno.Conn):
 * the structural types the adapter needs, opening conns and listeners, and
 * the runtime calls of one wrapped conn, which the core's socket kit drives
 * through its `PullTransport` (`@sosplice/core/socket`,
 * docs/adapters.md#writing-an-adapter-the-socket-kit).
 *
 * Built on `conn.read()` / `conn.write()` / `conn.closeWrite()` only: the
 * conn's own `readable` / `writable` close the whole connection at EOF or on
 * `close()` (denoland/deno#22258, #27510; docs/runtimes.md#deno).
 */
import { formatAddress, wrongRuntime, type PullSocket, type SocketTarget } from '@sosplice/core/socket';
import { sendReset } from './reset.ts';

// --- Deno's types, declared structurally (a Node or Bun user's .d.ts has no `Deno`) ---

/** `Deno.NetAddr` | `Deno.UnixAddr`, as far as the adapter reads them. */
export interface DenoAddr {
  readonly transport: string;
  readonly hostname?: string;
  readonly port?: number;
  readonly path?: string | null;
}

/** The members of `Deno.Conn` (`TcpConn`, `TlsConn`, `UnixConn`) the adapter builds on. */
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

/** `connect({ tls })`: `Deno.connectTls`'s own options (trusted CA certificates, ALPN). */
export interface DenoConnectTlsOptions {
  caCerts?: string[];
  alpnProtocols?: string[];
}

/** `listen({ tls })`: `Deno.listenTls`'s PEM certificate chain and key (ALPN optional). */
export interface DenoListenTlsOptions {
  cert: string;
  key: string;
  alpnProtocols?: string[];
}

interface DenoNamespace {
  connect(o: { hostname: string; port: number } | { transport: 'unix'; path: string }): Promise<DenoConnLike>;
  connectTls(o: { hostname: string; port: number } & DenoConnectTlsOptions): Promise<DenoConnLike>;
  listen(o: { hostname: string; port: number } | { transport: 'unix'; path: string }): DenoListenerLike;
  listenTls(o: { hostname: string; port: number } & DenoListenTlsOptions): DenoListenerLike;
}

function deno(): DenoNamespace {
  const ns = (globalThis as { Deno?: DenoNamespace }).Deno;
  if (typeof ns?.connect !== 'function') throw wrongRuntime('@sosplice/deno-adapter', 'the Deno runtime (globalThis.Deno)');
  return ns;
}

/** Connects (TLS: handshake done, so a certificate error rejects here); Deno's own errors. */
export async function openConn(target: SocketTarget, tls: DenoConnectTlsOptions | undefined): Promise<DenoConnLike> {
  const ns = deno();
  if ('path' in target) return ns.connect({ transport: 'unix', path: target.path });
  if (tls === undefined) return ns.connect({ hostname: target.hostname, port: target.port });
  const conn = await ns.connectTls({ ...tls, hostname: target.hostname, port: target.port });
  try {
    await conn.handshake?.();
  } catch (error) {
    conn.close();
    throw error;
  }
  return conn;
}

/** Listens (synchronously, as `Deno.listen`). */
export function openListener(target: SocketTarget, tls: DenoListenTlsOptions | undefined): DenoListenerLike {
  const ns = deno();
  if ('path' in target) return ns.listen({ transport: 'unix', path: target.path });
  if (tls === undefined) return ns.listen({ hostname: target.hostname, port: target.port });
  return ns.listenTls({ ...tls, hostname: target.hostname, port: target.port });
}

/** Whether `value` has the members of a `Deno.Conn` the adapter calls. */
export function isDenoConn(value: unknown): value is DenoConnLike {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  return typeof c.read === 'function' && typeof c.write === 'function' && typeof c.closeWrite === 'function' && typeof c.close === 'function';
}

/** `"host:port"` or a Unix path, as WinterTC's `SocketInfo` gives it. */
export function addressOf(addr: DenoAddr | undefined): string | null {
  if (addr === undefined) return null;
  if (addr.transport === 'unix' || addr.transport === 'unixpacket') return addr.path ?? null;
  if (addr.hostname === undefined || addr.port === undefined) return null;
  return formatAddress({ hostname: addr.hostname, port: addr.port });
}

// --- one wrapped conn as the kit's pull-based socket ---

/**
 * The buffer a read waits with while the peer is quiet (the kit's
 * `PullTransport` `idleReadSize`): a pending `conn.read()` pins its buffer,
 * and Deno cannot poll for readability first. An idle conn so pins 2 KiB;
 * a read that fills it switches to `highWaterMark` buffers while data flows.
 */
export const WAIT_SIZE = 2048;

/**
 * Deno's errors keep their class; those without a `code` (`BadResource`,
 * `Interrupted`: the conn was closed under us) get `ERR_SOCKET_CLOSED`.
 */
function withCode(error: unknown): never {
  const closedUnderUs = error instanceof Error && (error.name === 'BadResource' || error.name === 'Interrupted');
  if (closedUnderUs && (error as { code?: unknown }).code === undefined) {
    try {
      Object.defineProperty(error, 'code', { value: 'ERR_SOCKET_CLOSED', configurable: true, writable: true });
    } catch {
      // A frozen error stays as it is.
    }
  }
  throw error;
}

/**
 * The runtime calls of one conn for the kit's `PullTransport`: its reads,
 * writes and FIN (errors coded), the reset an RST where Deno lets us
 * (./reset.ts), the full close.
 */
export function pullSocket(conn: DenoConnLike): PullSocket {
  return {
    read: (view) => conn.read(view).catch(withCode),
    write: (bytes) => conn.write(bytes).catch(withCode),
    closeWrite: () => conn.closeWrite().catch(withCode),
    reset: () => sendReset(conn),
    close: () => conn.close(),
  };
}
