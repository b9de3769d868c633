/**
 * Helpers for the Deno adapter's socket tests: raw conn I/O with bounded
 * waits, and proxies built from two adapter sockets (the endpoints of a
 * `DenoLoopback`), whose raw peers play client and server.
 */
import type { DenoConnLike } from '@sosplice/deno-adapter';
import { afterEach } from 'vitest';
import { deno, DenoLoopback, type DenoPeer, type DenoSocket, type DenoTransport } from '../harness/deno';
import { withTimeout } from '../harness/_util';

export const T = 10_000;

/** Writes every byte (Deno's write may be partial). */
export async function writeFull(conn: DenoConnLike, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.byteLength) off += await conn.write(bytes.subarray(off));
}

/** Reads exactly `n` bytes from a raw conn (fails at EOF or after `ms`). */
export async function readExactly(conn: DenoConnLike, n: number, ms = T): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  const deadline = Date.now() + ms;
  while (got < n) {
    const r = await withTimeout(conn.read(out.subarray(got)), Math.max(1, deadline - Date.now()), `reading ${n} bytes (got ${got})`);
    if (r === null) throw new Error(`EOF after ${got} of ${n} bytes`);
    got += r;
  }
  return out;
}

/** Reads a raw conn to EOF. */
export async function readToEof(conn: DenoConnLike, ms = T): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  const deadline = Date.now() + ms;
  for (;;) {
    const buf = new Uint8Array(65536);
    const r = await withTimeout(conn.read(buf), Math.max(1, deadline - Date.now()), `reading to EOF (got ${total})`);
    if (r === null) break;
    parts.push(buf.subarray(0, r));
    total += r;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Two adapter sockets `a`, `b` and their raw peers: `client` talks to `a`, `server` to `b`. */
export interface ProxySides {
  loop: DenoLoopback;
  a: DenoSocket;
  b: DenoSocket;
  client: DenoPeer;
  server: DenoPeer;
}

/** Opens the two sides of a proxy (nothing spliced yet). Peers stop their background reads: tests read raw. */
export async function proxySides(direct: boolean, transport: DenoTransport = 'tcp'): Promise<ProxySides> {
  const loop = new DenoLoopback({ direct, transport, rawPeers: true });
  const one = await loop.pair();
  const two = await loop.pair();
  return { loop, a: one.endpoint, b: two.endpoint, client: one.peer, server: two.peer };
}

/**
 * Counts what the adapter reads from and writes to `conn` (it calls the
 * conn's own methods, so a spy on them sees every byte).
 */
export function countIo(conn: DenoConnLike): { bytesRead: number; bytesWritten: number } {
  const counts = { bytesRead: 0, bytesWritten: 0 };
  const { read, write } = conn;
  conn.read = (p) => read.call(conn, p).then((n) => ((counts.bytesRead += n ?? 0), n));
  conn.write = (p) => write.call(conn, p).then((n) => ((counts.bytesWritten += n), n));
  return counts;
}

/**
 * Cleanups run together after each test of the calling file: a socket's
 * close() waits for its peer's FIN, and the peer may be another of them.
 */
export function cleanupAfterEach(): Array<() => unknown> {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    await Promise.all(cleanup.splice(0).map(async (fn) => fn()).map((p) => p.catch(() => {})));
  });
  return cleanup;
}

/** A loopback TCP connection of raw conns: `mine` to wrap, `peer` to drive; both closed by `cleanup`. */
export async function rawPair(cleanup: Array<() => unknown>): Promise<{ mine: DenoConnLike; peer: DenoConnLike }> {
  const l = deno().listen({ hostname: '127.0.0.1', port: 0 });
  const connecting = deno().connect({ hostname: '127.0.0.1', port: l.addr.port! });
  const peer = await l.accept();
  const mine = await connecting;
  l.close();
  cleanup.push(() => peer.close(), () => mine.close());
  return { mine, peer };
}
