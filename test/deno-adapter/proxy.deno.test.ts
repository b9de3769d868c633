/**
 * The Deno adapter in a proxy (docs/contract.md#how-a-splice-ends, 6): half-close travels, a reply after
 * the client's FIN arrives (the case two plain `pipeTo`s lose), exact `max`
 * with the source open, drain ordering around a splice, unsplice in the
 * middle of a large transfer, and the counter reset on re-splice. Each runs
 * on the direct path and on the generic stream path, over TCP, Unix and TLS.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spliceBidirectional, spliceStreams } from '@sosplice/core';
import type { DenoConnLike } from '@sosplice/deno-adapter';
import { checksum, concat, expectBytes, pattern, readAtLeast, stillPendingAfter, text, until, withTimeout, writeOnce } from '../harness/_util';
import { deno, DenoLoopback } from '../harness/deno';
import { proxySides, readExactly, readToEof, T, writeFull, type ProxySides } from './_util';

let open: ProxySides[] = [];
async function sides(direct: boolean, transport: 'tcp' | 'unix' | 'tls' = 'tcp'): Promise<ProxySides> {
  const s = await proxySides(direct, transport);
  open.push(s);
  return s;
}
afterEach(async () => {
  for (const s of open) await s.loop.dispose();
  open = [];
});

describe.each([
  ['direct', true, 'tcp'],
  ['generic', false, 'tcp'],
  ['direct', true, 'unix'],
  ['generic', false, 'unix'],
  ['direct', true, 'tls'],
  ['generic', false, 'tls'],
] as const)('deno %s path over %s', (_, direct, transport) => {
  it("a half-close travels through the proxy, and the server's reply after the client's FIN arrives", async () => {
    const { a, b, client, server } = await sides(direct, transport);
    const pair = spliceBidirectional(a, b);
    const request = pattern(100_000, 1);
    await writeFull(client.conn, request);
    await client.conn.closeWrite();
    // The server sees the whole request, then EOF: the FIN went through.
    expectBytes(await readToEof(server.conn), request, 'request at the server');
    // Only now does it answer, and then closes its side.
    const reply = pattern(50_000, 2);
    await writeFull(server.conn, reply);
    await server.conn.closeWrite();
    expectBytes(await readToEof(client.conn), reply, 'reply after FIN');
    const [up, down] = await withTimeout(pair.done, T, 'both directions done');
    expect(up).toMatchObject({ reason: 'eof', bytes: request.byteLength });
    expect(down).toMatchObject({ reason: 'eof', bytes: reply.byteLength });
    // Both directions finished: the adapter closed both conns.
    await withTimeout(Promise.all([a.closed, b.closed]), T, 'conns closed');
  });
});

describe.each([
  ['direct', true],
  ['generic', false],
] as const)('deno %s path', (_, direct) => {
  it('max is exact with the source open, and the rest is read next from the same readable', async () => {
    const { a, b, client, server } = await sides(direct);
    const input = pattern(300_000, 3);
    await writeFull(client.conn, input.subarray(0, 100_000));
    const s = spliceStreams(a.readable, b.writable, { max: 123_457 });
    await writeFull(client.conn, input.subarray(100_000));
    expect(await withTimeout(s.done, T, 'max')).toEqual({ reason: 'max', bytes: 123_457 });
    expectBytes(await readExactly(server.conn, 123_457), input.subarray(0, 123_457), 'delivered');
    const rest = await readAtLeast(a.readable, input.byteLength - 123_457, T);
    expectBytes(rest, input.subarray(123_457), 'rest in the source');
  });

  it('bytes written to the drain before a splice go out first, bytes written after go out last', async () => {
    const { a, b, client, server } = await sides(direct);
    const before = text('written before the splice;');
    const spliced = pattern(200_000, 4);
    const after = text('written after the unsplice.');
    const writer = b.writable.getWriter();
    void writer.write(before);
    writer.releaseLock();
    const s = spliceStreams(a.readable, b.writable, { max: spliced.byteLength });
    await writeFull(client.conn, spliced);
    expect(await withTimeout(s.done, T, 'max')).toMatchObject({ reason: 'max' });
    await writeOnce(b.writable, after);
    const all = concat(before, spliced, after);
    expectBytes(await readExactly(server.conn, all.byteLength), all, 'drain order');
  });

  it('unsplice in the middle of a 64 MiB transfer loses nothing: the rest is read from the readable (checksum)', async () => {
    const { a, b, client, server } = await sides(direct);
    const total = 64 * 2 ** 20;
    const input = pattern(total, 5);
    const s = spliceStreams(a.readable, b.writable);
    const sending = writeFull(client.conn, input);
    // Drain the server side until about a quarter went through, then unsplice.
    const received: Uint8Array[] = [];
    let got = 0;
    const buf = new Uint8Array(1 << 20);
    while (got < total / 4) {
      const n = await withTimeout(server.conn.read(buf), T, 'server read');
      if (n === null) throw new Error('early EOF');
      received.push(buf.slice(0, n));
      got += n;
    }
    const result = await withTimeout(s.unsplice(), T, 'unsplice');
    expect(result.reason).toBe('unsplice');
    // Whatever the splice handed to the drain arrives at the server.
    while (got < result.bytes) {
      const n = await withTimeout(server.conn.read(buf), T, 'server read');
      if (n === null) throw new Error('early EOF');
      received.push(buf.slice(0, n));
      got += n;
    }
    expect(got).toBe(result.bytes);
    // And the rest comes out of the source's readable, in order.
    const rest = await readAtLeast(a.readable, total - result.bytes, 30_000);
    await sending;
    expect(checksum(concat(...received, rest))).toBe(checksum(input));
  });

  it('unsplice with a read in flight: the bytes it returns later are read next, not forwarded', async () => {
    const { a, b, client, server } = await sides(direct);
    const s = spliceStreams(a.readable, b.writable);
    await writeFull(client.conn, text('before;'));
    await readExactly(server.conn, 7);
    // The splice now waits in a read that cannot be cancelled; unsplice anyway.
    expect(await withTimeout(s.unsplice(), T, 'unsplice')).toEqual({ reason: 'unsplice', bytes: 7 });
    await writeFull(client.conn, text('after the unsplice'));
    expectBytes(await readAtLeast(a.readable, 18, T), text('after the unsplice'), 'read from the source');
    await writeOnce(b.writable, text('!'));
    expectBytes(await readExactly(server.conn, 1), text('!'), 'nothing else reached the drain');
  });

  it("bytes a reader abandoned mid-read in the readable's queue are forwarded first", async () => {
    const { a, b, client, server } = await sides(direct);
    const reader = a.readable.getReader();
    const abandoned = reader.read();
    reader.releaseLock();
    await expect(abandoned).rejects.toThrow();
    // The read it started goes on; what it gets lands in the stream's own queue
    // (at least the first byte: the adapter's 1-byte watch read may take it).
    await writeFull(client.conn, text('first,'));
    await until(() => a.readableBuffered >= 1, T, 'the abandoned read to take bytes');
    const s = spliceStreams(a.readable, b.writable);
    await writeFull(client.conn, text('second'));
    expectBytes(await readExactly(server.conn, 12), text('first,second'), 'order at the drain');
    expect((await s.unsplice()).bytes).toBe(12);
  });

  it('unsplice at any moment of a transfer conserves every byte (10 rounds)', async () => {
    // Regression: a read that returned just before the unsplice, with the
    // run not yet resumed, was dropped: 64 KiB missing from the source.
    const loop = new DenoLoopback({ direct });
    open.push({ loop } as ProxySides);
    for (let k = 0; k < 10; k++) {
      const a = await loop.pair();
      const b = await loop.pair();
      const input = pattern(2 << 20, k);
      const s = spliceStreams(a.endpoint.readable, b.endpoint.writable);
      let sent = 0;
      let stop = false;
      const sending = (async () => {
        while (!stop && sent < input.byteLength) {
          const n = Math.min(16_384, input.byteLength - sent);
          await a.peer.write(input.subarray(sent, sent + n));
          sent += n;
        }
      })();
      // Awaited bare (no timeout wrapper): unsplice() must run in the same
      // turn as the peer's read, which is what opened the window.
      await b.peer.receivedAtLeast(1000 + k * 20_000);
      const result = await s.unsplice();
      stop = true;
      await sending;
      await a.peer.end();
      const rest = await readAtLeast(a.endpoint.readable, Number.POSITIVE_INFINITY, T);
      await withTimeout(b.peer.receivedAtLeast(result.bytes), T, 'delivered bytes at the peer');
      expect(b.peer.received().byteLength, `round ${k}: more than counted reached the drain`).toBe(result.bytes);
      expect(checksum(concat(b.peer.received(), rest)), `round ${k}`).toBe(checksum(input.subarray(0, sent)));
    }
  });

  it('a new splice on the same streams counts from 0', async () => {
    const { a, b, client, server } = await sides(direct);
    const first = spliceStreams(a.readable, b.writable, { max: 1000 });
    await writeFull(client.conn, pattern(1000, 6));
    expect(await withTimeout(first.done, T, 'first')).toMatchObject({ reason: 'max', bytes: 1000 });
    const second = spliceStreams(a.readable, b.writable);
    expect(second.bytes).toBe(0);
    await writeFull(client.conn, pattern(500, 7));
    await readExactly(server.conn, 1500);
    expect(second.bytes).toBe(500);
    expect(first.bytes).toBe(1000);
    await second.unsplice();
  });

  it('the readable reaching EOF leaves the conn writable; writable.close() is a half-close', async () => {
    const { a, client } = await sides(direct);
    await client.conn.closeWrite();
    expect((await a.readable.getReader().read()).done).toBe(true);
    await writeOnce(a.writable, text('still writable after EOF'));
    await a.writable.close();
    expectBytes(await readToEof(client.conn), text('still writable after EOF'), 'after EOF');
    await withTimeout(a.closed, T, 'closed once both directions finished');
    expect(await stillPendingAfter(client.aborted(), 20), 'closed by finishing, not destroyed').toBe(true);
  });
});

describe("Deno's own streams (why the adapter exists)", () => {
  // Regression: two pipeTo's over conn.readable / conn.writable lose the reply
  // a server sends after the client's FIN (denoland/deno#22258, #27510).
  it("two pipeTo's lose the reply after FIN; the adapter does not", async () => {
    type StreamConn = DenoConnLike & { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> };
    const d = deno() as unknown as {
      listen(o: object): { addr: { port: number }; accept(): Promise<StreamConn>; close(): void };
      connect(o: object): Promise<StreamConn>;
    };
    const front = d.listen({ hostname: '127.0.0.1', port: 0 });
    const back = d.listen({ hostname: '127.0.0.1', port: 0 });
    const clientP = d.connect({ hostname: '127.0.0.1', port: front.addr.port });
    const proxyIn = await front.accept();
    const client = await clientP;
    const serverP = back.accept();
    const proxyOut = await d.connect({ hostname: '127.0.0.1', port: back.addr.port });
    const server = await serverP;
    const pipes = Promise.allSettled([proxyIn.readable.pipeTo(proxyOut.writable), proxyOut.readable.pipeTo(proxyIn.writable)]);
    await writeFull(client, text('request'));
    await client.closeWrite();
    await readToEof(server);
    const late = await writeFull(server, text('reply')).then(() => 'sent', (e: Error) => e.name);
    const reply = await readToEof(client).catch(() => new Uint8Array(0));
    expect(reply.byteLength, `pipeTo delivered the reply (server write: ${late})`).toBe(0);
    await pipes;
    for (const c of [client, server, proxyIn, proxyOut]) {
      try {
        c.close();
      } catch {
        // closed by the pipes already
      }
    }
    front.close();
    back.close();
  });
});
