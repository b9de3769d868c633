/**
 * The Deno adapter under load and in odd topologies (docs/contract.md#starting-a-splice, 4.1): a conn
 * spliced to itself (echo), two conns spliced into an endless loop that must
 * not starve timers, 1,000 concurrent bidirectional proxies, and bounded
 * memory under a stalled drain, asserted from the adapter's own counters.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spliceBidirectional, spliceStreams } from '@sosplice/core';
import { connect, listen, wrap } from '@sosplice/deno-adapter';
import { checksum, pattern, sleep, until, withTimeout } from '../harness/_util';
import { DenoLoopback, type DenoSocket } from '../harness/deno';
import { countIo, proxySides, readExactly, readToEof, T, writeFull, type ProxySides } from './_util';

let open: Array<{ dispose(): Promise<void> }> = [];
afterEach(async () => {
  for (const s of open) await s.dispose();
  open = [];
});
async function sides(direct: boolean): Promise<ProxySides> {
  const s = await proxySides(direct);
  open.push(s.loop);
  return s;
}

/** Both ends of one loopback TCP connection, each an adapter socket. */
async function bothEnds(direct: boolean): Promise<[DenoSocket, DenoSocket]> {
  const listener = await listen({ hostname: '127.0.0.1', port: 0, direct });
  const connecting = connect({ hostname: '127.0.0.1', port: listener.port!, direct });
  const accepted = (await listener[Symbol.asyncIterator]().next()).value!;
  const client = await connecting;
  await listener.close();
  open.push({ dispose: async () => void (await Promise.all([client.close(), accepted.close()])) });
  return [client, accepted];
}

describe.each([
  ['direct', true],
  ['generic', false],
] as const)('deno %s path', (_, direct) => {
  it('a conn spliced to itself echoes, and EOF comes back as EOF', async () => {
    const { a, client } = await sides(direct);
    const echo = spliceStreams(a.readable, a.writable);
    const x = pattern(200_000, 1);
    const back = readExactly(client.conn, x.byteLength);
    await writeFull(client.conn, x);
    expect(checksum(await back)).toBe(checksum(x));
    await client.conn.closeWrite();
    expect((await readToEof(client.conn)).byteLength).toBe(0);
    expect(await withTimeout(echo.done, T, 'echo done')).toEqual({ reason: 'eof', bytes: x.byteLength });
  });

  it('two conns spliced into a loop keep timers running and stop on unsplice()', async () => {
    const [x, y] = await bothEnds(direct);
    // x echoes what y sends and y echoes what x sends: one chunk circulates forever.
    const sx = spliceStreams(x.readable, x.writable);
    const sy = spliceStreams(y.readable, y.writable);
    const w = x.socket.write(pattern(65_536, 2));
    await w;
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    await until(() => ticks >= 10, T, 'timers firing while the loop runs');
    clearInterval(timer);
    await until(() => sx.bytes > 1_000_000, T, 'the loop moving bytes');
    const [rx, ry] = await withTimeout(Promise.all([sx.unsplice(), sy.unsplice()]), T, 'unsplice');
    expect(rx.reason).toBe('unsplice');
    expect(ry.reason).toBe('unsplice');
    const frozen = sx.bytes;
    await sleep(20);
    expect(sx.bytes).toBe(frozen);
  });

  it('keeps memory bounded under a stalled drain (adapter counters), then delivers everything', async () => {
    const { a, b, client, server } = await sides(direct);
    const [read, written] = [countIo(a.socket), countIo(b.socket)];
    const total = 32 * 2 ** 20;
    const input = pattern(total, 3);
    const s = spliceStreams(a.readable, b.writable);
    // The server does not read: its kernel buffers fill, then the splice must stop reading.
    const sending = writeFull(client.conn, input);
    // No event says "stopped reading": poll the counter until it stayed put for 50 polls.
    let last = -1;
    let stable = 0;
    await until(
      () => {
        const now = read.bytesRead;
        stable = now === last && now > 0 ? stable + 1 : 0;
        last = now;
        return stable >= 50;
      },
      T,
      'the splice to stop reading',
    );
    const held = a.readableBuffered + b.writableBuffered;
    // At most the writable's high-water mark (64 KiB) plus one read chunk
    // (direct: its 64 KiB buffer; generic: a default read, up to 4x 64 KiB),
    // plus the byte of the 1-byte read the kit's PullTransport keeps pending
    // while paused (how a reset of a paused conn is heard).
    const bound = 65_536 + (direct ? 65_536 : 4 * 65_536) + 1;
    expect(held).toBeLessThanOrEqual(bound);
    expect(s.bytes - written.bytesWritten).toBeLessThanOrEqual(bound);
    expect(read.bytesRead).toBeLessThan(total);
    const got = readExactly(server.conn, total, 30_000);
    await sending;
    await client.conn.closeWrite();
    expect(checksum(await got)).toBe(checksum(input));
    expect(await withTimeout(s.done, T, 'eof')).toEqual({ reason: 'eof', bytes: total });
  });

  it('1,000 concurrent bidirectional splices all deliver checksum-equal data both ways', async () => {
    const loop = new DenoLoopback({ direct, rawPeers: true, highWaterMark: 16_384 });
    open.push(loop);
    const N = 1000;
    const size = 20_000;
    const proxies = [];
    for (let i = 0; i < N; i++) {
      const one = await loop.pair();
      const two = await loop.pair();
      proxies.push({ pair: spliceBidirectional(one.endpoint, two.endpoint), client: one.peer.conn, server: two.peer.conn, i });
    }
    const results = await withTimeout(
      Promise.all(
        proxies.map(async ({ pair, client, server, i }) => {
          const up = pattern(size, 2 * i);
          const down = pattern(size, 2 * i + 1);
          const [atServer, atClient] = await Promise.all([
            readToEof(server, 50_000),
            readToEof(client, 50_000),
            writeFull(client, up).then(() => client.closeWrite()),
            writeFull(server, down).then(() => server.closeWrite()),
          ]);
          const [r1, r2] = await pair.done;
          return checksum(atServer) === checksum(up) && checksum(atClient) === checksum(down) && r1.reason === 'eof' && r2.reason === 'eof';
        }),
      ),
      55_000,
      '1,000 proxies',
    );
    expect(results.filter((ok) => !ok).length).toBe(0);
  }, 60_000);
});

describe('wrap', () => {
  it('refuses what is not a Deno.Conn, with ERR_INVALID_ARG_TYPE', async () => {
    expect(() => wrap({} as never)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
    await expect(connect(null as never)).rejects.toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  });

  it("a conn closed under the adapter fails its streams with Deno's own error, always with a code", async () => {
    const [x] = await bothEnds(true);
    x.socket.close();
    const failed = (await x.readable.getReader().read().then(
      () => undefined,
      (e: unknown) => e,
    )) as { name?: string; code?: string } | undefined;
    // Interrupted (EINTR) when a read was pending; BadResource (given ERR_SOCKET_CLOSED) otherwise.
    expect(['Interrupted', 'BadResource']).toContain(failed?.name);
    expect(failed?.code).toMatch(/^(ERR_|E)[A-Z_]+$/);
  });
});
