/**
 * What a direct run's pending `conn.read()` holds (issue 6): a quiet splice
 * waits with a small buffer, a bulk transfer reads into the full-size one,
 * and switching between them neither loses, reorders nor over-reads a byte
 * (exact `max`, docs/contract.md#max). The proxy-side conns are wrapped to record the
 * length of every view handed to `read()`. The run writes the read buffer
 * itself, lent (core's read-buffers.ts): a buffer is read into again only
 * once its write settled, and bytes a reader got are never overwritten.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spliceStreams } from '@sosplice/core';
import { wrap, type DenoConnLike } from '@sosplice/deno-adapter';
import type { DenoSocket } from '../harness/deno';
import { checksum, concat, pattern, until, withTimeout } from '../harness/_util';
import { readExactly, T, writeFull } from './_util';

type DenoNs = {
  listen(o: { hostname: string; port: number }): { addr: { port: number }; accept(): Promise<DenoConnLike>; close(): void };
  connect(o: { hostname: string; port: number }): Promise<DenoConnLike>;
};
const D = (globalThis as unknown as { Deno: DenoNs }).Deno;

/** A conn whose reads are recorded: the view length of each, and whether it is still pending. */
function recorded(conn: DenoConnLike): { conn: DenoConnLike; sizes: number[]; pending: () => number | undefined } {
  const sizes: number[] = [];
  let waiting: number | undefined;
  const wrapped: DenoConnLike = {
    read(p) {
      sizes.push(p.byteLength);
      waiting = p.byteLength;
      return conn.read(p).finally(() => (waiting = undefined));
    },
    write: (p) => conn.write(p),
    closeWrite: () => conn.closeWrite(),
    close: () => conn.close(),
    get localAddr() {
      return conn.localAddr;
    },
    get remoteAddr() {
      return conn.remoteAddr;
    },
  };
  return { conn: wrapped, sizes, pending: () => waiting };
}

/** One loopback TCP connection: the raw end and the other end wrapped and recorded. */
async function tcpPair(): Promise<{ raw: DenoConnLike; rec: ReturnType<typeof recorded> }> {
  const listener = D.listen({ hostname: '127.0.0.1', port: 0 });
  const connecting = D.connect({ hostname: '127.0.0.1', port: listener.addr.port });
  const accepted = await listener.accept();
  const raw = await connecting;
  listener.close();
  return { raw, rec: recorded(accepted) };
}

let cleanup: Array<() => void> = [];
afterEach(() => {
  for (const fn of cleanup) {
    try {
      fn();
    } catch {
      // Closed by the test already.
    }
  }
  cleanup = [];
});

/** client → a (recorded) ⇒ splice ⇒ b → server. */
async function proxied(): Promise<{ client: DenoConnLike; server: DenoConnLike; a: DenoSocket; b: DenoSocket; reads: ReturnType<typeof recorded> }> {
  const one = await tcpPair();
  const two = await tcpPair();
  const a = wrap(one.rec.conn);
  const b = wrap(two.rec.conn);
  cleanup.push(
    () => one.raw.close(),
    () => two.raw.close(),
    () => void a.close(),
    () => void b.close(),
  );
  return { client: one.raw, server: two.raw, a, b, reads: one.rec };
}

describe('deno direct run buffers', () => {
  it('a quiet splice waits in a small read; a bulk transfer reads 64 KiB at a time; all bytes arrive in order', async () => {
    const { client, server, a, b, reads } = await proxied();
    const s = spliceStreams(a.readable, b.writable);
    await writeFull(client, pattern(10, 1));
    expect(checksum(await readExactly(server, 10))).toBe(checksum(pattern(10, 1)));
    await until(() => reads.pending() !== undefined, T, 'a pending read');
    expect(reads.pending()).toBeLessThanOrEqual(4096);

    const bulk = pattern(8 * 2 ** 20 + 3, 2);
    const [, got] = await Promise.all([writeFull(client, bulk), readExactly(server, bulk.byteLength)]);
    expect(checksum(got)).toBe(checksum(bulk));
    expect(reads.sizes).toContain(65536);

    // Quiet again: after a short read the run waits small, and lets the big buffer go.
    await writeFull(client, pattern(5, 3));
    expect(checksum(await readExactly(server, 5))).toBe(checksum(pattern(5, 3)));
    await until(() => reads.pending() !== undefined && reads.pending()! <= 4096, T, 'a small pending read');
    s.unsplice();
    await withTimeout(s.done, T, 'unsplice');
  });

  it('max stays exact across the switch between the small and the big buffer', async () => {
    for (const max of [1, 2047, 2048, 2049, 65536 + 2048, 65536 + 2049, 3 * 65536 + 17]) {
      const { client, server, a, b } = await proxied();
      const sent = pattern(max + 70_000, max);
      const s = spliceStreams(a.readable, b.writable, { max });
      await writeFull(client, sent);
      expect(await withTimeout(s.done, T, `max ${max}`)).toEqual({ reason: 'max', bytes: max });
      expect(checksum(await readExactly(server, max))).toBe(checksum(sent.subarray(0, max)));
      // Nothing past max was read for the splice: the rest is next on the same readable.
      const reader = a.readable.getReader({ mode: 'byob' });
      const rest = new Uint8Array(sent.byteLength - max);
      let got = 0;
      while (got < rest.byteLength) {
        // A BYOB read transfers its view's buffer: a fresh one each time.
        const { value, done } = await withTimeout(reader.read(new Uint8Array(rest.byteLength - got)), T, 'rest');
        if (done) throw new Error(`EOF after ${got} of the rest`);
        rest.set(value, got);
        got += value.byteLength;
      }
      expect(checksum(rest)).toBe(checksum(sent.subarray(max)));
      reader.releaseLock();
    }
  });

  it('a stalled server: the run reads on while a write of its other buffer waits, and every byte arrives as sent', async () => {
    const { client, server, a, b } = await proxied();
    const s = spliceStreams(a.readable, b.writable);
    const bulk = pattern(32 * 2 ** 20, 9);
    const writing = writeFull(client, bulk);
    // More than one read's worth handed to b and not written: a read completed while a write was pending.
    await until(() => b.writableBuffered > 65_536, T, 'a read completed during a pending write');
    const got = await readExactly(server, bulk.byteLength, 4 * T);
    await writing;
    expect(checksum(got)).toBe(checksum(bulk));
    s.unsplice();
    await withTimeout(s.done, T, 'unsplice');
  });

  it("bytes a reader got past max stay as read while the next splice reads on into the run's buffers", async () => {
    const { client, server, a, b } = await proxied();
    const sent = pattern(200_000, 10);
    const max = 100_003;
    const first = spliceStreams(a.readable, b.writable, { max });
    await writeFull(client, sent);
    expect(await withTimeout(first.done, T, 'max')).toEqual({ reason: 'max', bytes: max });
    const reader = a.readable.getReader();
    const held: Uint8Array[] = [];
    for (let got = max; got < sent.byteLength; ) {
      const { value, done } = await withTimeout(reader.read(), T, 'the rest through a reader');
      if (done) throw new Error(`EOF after ${got} bytes`);
      held.push(value);
      got += value.byteLength;
    }
    reader.releaseLock();
    const second = spliceStreams(a.readable, b.writable);
    const more = pattern(8 * 2 ** 20, 11);
    const [, got] = await Promise.all([writeFull(client, more), readExactly(server, max + more.byteLength, 4 * T)]);
    expect(checksum(concat(...held)), "the reader's chunks after 8 MiB more went through").toBe(checksum(sent.subarray(max)));
    expect(checksum(got)).toBe(checksum(concat(sent.subarray(0, max), more)));
    second.unsplice();
    await withTimeout(second.done, T, 'unsplice');
  });
});
