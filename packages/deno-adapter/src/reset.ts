/**
 * Resets that travel (docs/contract.md#how-a-splice-ends, docs/adapters.md) on Deno, which has no reset API: its
 * `conn.close()` sends FIN (tokio shuts the write half down on drop), so a
 * truncated transfer would look complete to the far peer.
 *
 * Linux sends an RST at once when a connected TCP socket is disconnected with
 * `connect(fd, AF_UNSPEC)` (tcp_disconnect). Deno exposes no fd, so the fd is
 * found through /proc: the socket's inode from /proc/net/tcp{,6} by its two
 * ports, then the fd that links to `socket:[inode]`. This needs
 * `--allow-ffi` and `--allow-read=/proc`; without them (or off Linux, or on a
 * Unix socket, which has no RST) `abort()` closes with a FIN, as the README
 * says. Only run on an abort: the lookup reads /proc, a cost no data path pays.
 */
import type { DenoConnLike } from './runtime.ts';

interface DenoResetApi {
  readonly build?: { readonly os?: string };
  permissions?: { querySync?(descriptor: { name: string; path?: string }): { state: string } };
  readTextFileSync(path: string): string;
  readDirSync(path: string): Iterable<{ name: string }>;
  readLinkSync(path: string): string;
  dlopen(path: string, symbols: Record<string, unknown>): { symbols: Record<string, (...args: unknown[]) => unknown> };
}

let libc: { symbols: Record<string, (...args: unknown[]) => unknown> } | undefined;

function api(): DenoResetApi | undefined {
  const deno = (globalThis as { Deno?: DenoResetApi }).Deno;
  if (deno?.build?.os !== 'linux' || typeof deno.dlopen !== 'function') return undefined;
  const granted = (descriptor: { name: string; path?: string }): boolean => deno.permissions?.querySync?.(descriptor).state === 'granted';
  return granted({ name: 'ffi' }) && granted({ name: 'read', path: '/proc' }) ? deno : undefined;
}

/** The fd of the TCP socket with these ports (Deno does not expose fds). */
function tcpFd(deno: DenoResetApi, localPort: number, remotePort: number): number | undefined {
  const hex = (n: number): string => `:${n.toString(16).toUpperCase().padStart(4, '0')}`;
  let inode: string | undefined;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of deno.readTextFileSync(table).split('\n')) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[1]!.endsWith(hex(localPort)) && f[2]!.endsWith(hex(remotePort))) inode = f[9];
    }
  }
  if (inode === undefined) return undefined;
  const link = `socket:[${inode}]`;
  for (const entry of deno.readDirSync('/proc/self/fd')) {
    try {
      if (deno.readLinkSync(`/proc/self/fd/${entry.name}`) === link) return Number(entry.name);
    } catch {
      // fds come and go while we look
    }
  }
  return undefined;
}

/**
 * Sends an RST on `conn` now, if Deno lets us (see the module comment);
 * returns whether it did. The caller closes the conn afterwards as usual.
 */
export function sendReset(conn: DenoConnLike): boolean {
  const local = conn.localAddr;
  const remote = conn.remoteAddr;
  if (local.transport !== 'tcp' || local.port === undefined || remote.port === undefined) return false;
  const deno = api();
  if (deno === undefined) return false;
  try {
    libc ??= deno.dlopen('libc.so.6', { connect: { parameters: ['i32', 'buffer', 'u32'], result: 'i32' } });
    const fd = tcpFd(deno, local.port, remote.port);
    if (fd === undefined) return false;
    const unspec = new Uint8Array(16); // a sockaddr with sa_family = AF_UNSPEC (0)
    return libc.symbols.connect!(fd, unspec, unspec.byteLength) === 0;
  } catch {
    // No libc.so.6 (musl), or the conn closed meanwhile: a FIN it is.
    return false;
  }
}
