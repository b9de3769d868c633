/** docs/contract.md#max "max". */
import { describe, expect, it } from 'vitest';
import { chunk, concat, expectBytes, macrotask, pattern, readAtLeast, remainderOf, withTimeout } from '../harness/_util';
import {
  T,
  doneOf,
  expectConserved,
  expectDrainUsable,
  expectReceived,
  expectReleased,
  expectSourceUsable,
  writeAll,
  type SuiteContext,
} from './_suite-context';

export function maxSection(ctx: SuiteContext): void {
  describe('4.3 max', () => {
    it("delivers exactly max bytes and ends with 'max' at once, though the source stays open and idle", async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const input = pattern(10, 31);
      await a.peer.write(input);
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { max: 4 });
      const result = await doneOf(s, 'done at max while the source stays open');
      expect(result).toMatchObject({ reason: 'max', bytes: 4 });
      expect(s.bytes).toBe(4);
      expectReleased(a.endpoint.readable, b.endpoint.writable);
      await expectConserved(a, b, input, result);
      // Nothing more reaches the drain after the end.
      await macrotask();
      expect(b.peer.received().byteLength).toBe(4);
    });

    it('counts max across chunks and keeps every byte past it for the source', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const parts = chunk(pattern(15, 32), [5, 5, 5]);
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { max: 12 });
      await a.peer.write(parts[0]!);
      await withTimeout(b.peer.receivedAtLeast(5), T, 'first chunk');
      await a.peer.write(parts[1]!);
      await withTimeout(b.peer.receivedAtLeast(10), T, 'second chunk');
      expect(s.bytes).toBe(10);
      await a.peer.write(parts[2]!);
      const result = await doneOf(s);
      expect(result).toMatchObject({ reason: 'max', bytes: 12 });
      await expectConserved(a, b, concat(...parts), result);
    });

    it('never exceeds max when far more is available, and the rest stays in the source in order', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const input = pattern(256 * 1024, 33);
      const max = 100_003;
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { max });
      // The peer keeps writing past max; the writes complete once a new reader drains the rest.
      const writing = writeAll(a.peer, chunk(input, Array(64).fill(4096)));
      writing.catch(() => {});
      const result = await doneOf(s);
      expect(result).toMatchObject({ reason: 'max', bytes: max });
      await expectConserved(a, b, input, result);
      await withTimeout(writing, T, 'peer writes');
    });

    it("ends with 'eof' and every byte when the source ends before max", async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const input = pattern(3, 34);
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { max: 10 });
      await a.peer.write(input);
      await a.peer.end();
      expect(await doneOf(s)).toMatchObject({ reason: 'eof', bytes: 3 });
      await withTimeout(b.peer.ended(), T, 'drain closed at eof');
      await expectReceived(b, input);
    });

    it('treats max 0 as unlimited', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const input = pattern(70_000, 35);
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { max: 0 });
      await writeAll(a.peer, chunk(input, [1, 69_998, 1]));
      await a.peer.end();
      expect(await doneOf(s)).toMatchObject({ reason: 'eof', bytes: input.byteLength });
      await withTimeout(b.peer.ended(), T, 'drain closed at eof');
      await expectReceived(b, input);
    });

    it('on a byte stream keeps the surplus in the source itself: remainder is absent or empty', async () => {
      // docs/contract.md#max: exact for `type: 'bytes'` sources only; a default stream may return a remainder.
      if (!ctx.harness.features.byteStream) return;
      const a = await ctx.side();
      const b = await ctx.side();
      const input = pattern(9000, 36);
      // More than the source holds: the write completes once the splice and a new reader took some.
      const writing = a.peer.write(input);
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { max: 1234 });
      const result = await doneOf(s);
      expect(result).toMatchObject({ reason: 'max', bytes: 1234 });
      expect(remainderOf(result).byteLength).toBe(0);
      await expectConserved(a, b, input, result);
      await withTimeout(writing, T, 'peer write');
    });

    it('on a default stream returns the tail of a chunk straddling max as remainder', async () => {
      // Needs a default (non-byte) source and one chunk per peer write, which
      // only the in-memory harness gives; sockets are byte streams.
      if (ctx.harness.features.byteStream || !ctx.harness.features.exactChunks) return;
      const a = await ctx.side();
      const b = await ctx.side();
      const input = pattern(10, 37);
      await a.peer.write(input);
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { max: 4 });
      const result = await doneOf(s);
      expect(result).toMatchObject({ reason: 'max', bytes: 4 });
      expectBytes(remainderOf(result), input.subarray(4), 'remainder');
      // The source holds nothing else: the next bytes a reader sees are new ones.
      await expectSourceUsable(a, new Uint8Array(0), pattern(3, 38));
    });

    it('leaves no remainder when max falls on a chunk boundary', async () => {
      // Needs chunk boundaries the test controls (in-memory).
      if (!ctx.harness.features.exactChunks) return;
      const a = await ctx.side();
      const b = await ctx.side();
      const [x, y] = [pattern(4, 39), pattern(6, 40)];
      await a.peer.write(x);
      await a.peer.write(y);
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { max: 4 });
      const result = await doneOf(s);
      expect(result).toMatchObject({ reason: 'max', bytes: 4 });
      expect(remainderOf(result).byteLength).toBe(0);
      expectBytes(await readAtLeast(a.endpoint.readable, 6, T), y, 'source after max');
    });

    it('after max, writing the remainder and splicing again continues the stream exactly', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const input = pattern(20_000, 41);
      // 3000 bytes queued before the splice, the rest while spliced.
      await a.peer.write(input.subarray(0, 3000));
      const first = ctx.splice(a.endpoint.readable, b.endpoint.writable, { max: 5000 });
      await a.peer.write(input.subarray(3000, 7000));
      const r1 = await doneOf(first);
      expect(r1).toMatchObject({ reason: 'max', bytes: 5000 });
      // The application owns the remainder: it forwards it before splicing on.
      if (remainderOf(r1).byteLength > 0) await expectDrainUsable(b, r1.bytes, remainderOf(r1));
      const second = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      await a.peer.write(input.subarray(7000));
      await a.peer.end();
      const r2 = await doneOf(second);
      expect(r2.reason).toBe('eof');
      expect(r1.bytes + remainderOf(r1).byteLength + r2.bytes).toBe(input.byteLength);
      await withTimeout(b.peer.ended(), T, 'drain closed at eof');
      await expectReceived(b, input);
    });

    it('does not end before max while bytes keep coming', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { max: 3000 });
      await a.peer.write(pattern(2999, 42));
      await withTimeout(b.peer.receivedAtLeast(2999), T, '2999 bytes');
      await macrotask();
      expect(s.bytes).toBe(2999);
      expect(a.endpoint.readable.locked, 'ended one byte short of max').toBe(true);
      await a.peer.write(pattern(1, 43));
      expect(await doneOf(s)).toMatchObject({ reason: 'max', bytes: 3000 });
    });
  });
}
