/**
 * `close()` as docs/adapters.md#closing and SPEC 6 say, on Deno over real
 * loopback sockets: FIN after the bytes already queued (none lost), reads
 * stop, it resolves once the peer finished or after `linger` (then the conn
 * is destroyed), it never rejects, and a splice using the socket ends with a
 * clear reason on both paths.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spliceStreams } from '@sosplice/core';
import { SocketClosedError, wrap, type DenoConnLike } from '@sosplice/deno-adapter';
import { checksum, pattern, sleep, text, withTimeout } from '../harness/_util';
import { isResetError, sendRst } from '../harness/deno';
import { cleanupAfterEach, rawPair as rawPairOf, proxySides, readToEof, T, writeFull, type ProxySides } from './_util';

const cleanup = cleanupAfterEach();
const rawPair = () => rawPairOf(cleanup);

/** Resolves once `conn.close()` is called on it (the adapter's destroy, or its last step). */
function closeCalled(conn: DenoConnLike): Promise<void> {
  const close = conn.close;
  return new Promise((resolve) => {
    conn.close = () => {
      resolve();
      close.call(conn);
    };
  });
}

/** Reads `conn` to EOF in small reads with pauses: a slow reader. */
async function slowReadToEof(conn: DenoConnLike, ms: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  const deadline = Date.now() + ms;
  for (let i = 0; ; i++) {
    const buf = new Uint8Array(64 * 1024);
    const n = await withTimeout(conn.read(buf), Math.max(1, deadline - Date.now()), `slow read (got ${total})`);
    if (n === null) break;
    parts.push(buf.subarray(0, n));
    total += n;
    if (i % 16 === 0) await sleep(1);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) out.set(p, (at += p.byteLength) - p.byteLength);
  return out;
}

const MIB16 = 16 * 1024 * 1024;

describe('deno close()', () => {
  for (const [what, chunks] of [
    ['one 16 MiB write', 1],
    ['16 queued 1 MiB writes', 16],
  ] as const) {
    it(`sends FIN after every queued byte: a slow reader behind ${what} receives all 16,777,216`, async () => {
      const { mine, peer } = await rawPair();
      const socket = wrap(mine, { linger: 60_000 });
      const data = pattern(MIB16, 41);
      const writer = socket.writable.getWriter();
      const size = MIB16 / chunks;
      const writes = Array.from({ length: chunks }, (_, i) => writer.write(data.subarray(i * size, (i + 1) * size)));
      for (const w of writes) w.catch(() => {});
      writer.releaseLock();
      const closing = socket.close();
      const got = await slowReadToEof(peer, 60_000);
      expect(got.byteLength).toBe(MIB16);
      expect(checksum(got)).toBe(checksum(data));
      await Promise.all(writes);
      // Not resolved before the peer finished too (or linger): then it is.
      peer.close();
      await withTimeout(closing, T, 'close() once the peer finished');
      await withTimeout(socket.closed, T, 'closed');
    }, 90_000);
  }

  it('resolves once the peer answers FIN with FIN, long before linger; what the peer sent after is dropped', async () => {
    const { mine, peer } = await rawPair();
    const socket = wrap(mine, { linger: 60_000 });
    const reader = socket.readable.getReader();
    const reading = reader.read();
    const closing = socket.close();
    await expect(reading).rejects.toBeInstanceOf(SocketClosedError);
    expect((await readToEof(peer)).byteLength).toBe(0); // our FIN
    await writeFull(peer, text('late reply, dropped'));
    await peer.closeWrite();
    await withTimeout(closing, T, 'close() after the peer FIN');
    await socket.closed;
  });

  it('after close(), writes fail with SocketClosedError, unshift throws it, and close() again resolves too', async () => {
    const { mine } = await rawPair();
    const socket = wrap(mine, { linger: 300 });
    const writable = socket.writable;
    const first = socket.close();
    const second = socket.close();
    await expect(writable.getWriter().write(text('x'))).rejects.toMatchObject({ code: 'ERR_SOCKET_CLOSED' });
    expect(() => socket.unshift(text('y'))).toThrow(SocketClosedError);
    await withTimeout(Promise.all([first, second]), T, 'both close() calls');
  });

  it('a peer that never reads nor closes: close() resolves within linger and the conn is destroyed', async () => {
    const { mine } = await rawPair();
    const destroyed = closeCalled(mine);
    const socket = wrap(mine, { linger: 300 });
    const writer = socket.writable.getWriter();
    writer.write(pattern(MIB16, 42)).catch(() => {}); // more than the kernel buffers hold
    writer.releaseLock();
    const started = Date.now();
    await withTimeout(socket.close(), T, 'close() within linger');
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(5000);
    await withTimeout(destroyed, T, 'conn closed');
    await withTimeout(socket.closed, T, 'closed resolves');
  });

  it('linger: 0 destroys at once', async () => {
    const { mine, peer } = await rawPair();
    const socket = wrap(mine, { linger: 0 });
    void socket.writable;
    await withTimeout(socket.close(), 1000, 'close() with linger 0');
    expect(await withTimeout(peer.read(new Uint8Array(8)), T, 'peer sees the end')).toBeNull();
  });

  it('after a peer reset: close() resolves, closed rejects with ECONNRESET', async () => {
    const { mine, peer } = await rawPair();
    const socket = wrap(mine, { linger: 5000 });
    sendRst(peer);
    await sleep(10); // the RST crosses loopback; close() reads it either way
    await withTimeout(socket.close(), T, 'close() never rejects');
    const error = await socket.closed.then(() => undefined, (e: unknown) => e);
    expect(isResetError(error), String(error)).toBe(true);
  });
});

describe.each([
  ['direct', true],
  ['generic', false],
] as const)('deno close() during a splice, %s path', (_, direct) => {
  let sides: ProxySides;
  afterEach(() => sides.loop.dispose());

  for (const which of ['source', 'drain'] as const) {
    it(`close() of the ${which} ends the splice with 'error' and ERR_SOCKET_CLOSED`, async () => {
      sides = await proxySides(direct);
      const { a, b, client, server } = sides;
      const s = spliceStreams(a.readable, b.writable);
      await writeFull(client.conn, text('before the close'));
      let got = 0;
      const buf = new Uint8Array(64);
      while (got < 16) got += (await withTimeout(server.conn.read(buf), T, 'forwarded')) ?? 0;
      void (which === 'source' ? a : b).close();
      const result = await withTimeout(s.done, T, 'splice ended');
      expect(result.reason).toBe('error');
      expect(result.error).toBeInstanceOf(SocketClosedError);
      expect(result.bytes).toBe(16);
    });
  }
});
