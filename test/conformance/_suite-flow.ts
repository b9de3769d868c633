/** docs/contract.md#flow-and-memory "Flow and memory" and 4.2 "Counting". */
import { describe, expect, it } from 'vitest';
import { chunk, pattern, sleep, withTimeout } from '../harness/_util';
import { T, doneOf, expectReceived, writeAll, type SuiteContext } from './_suite-context';

/** Chunk sizes from 1 byte to 64 KiB, irregular, so no size is special. */
const irregularSizes = (n: number): number[] => Array.from({ length: n }, (_, i) => 1 + ((i * 7919) % 65_536));

export function flowSection(ctx: SuiteContext): void {
  describe('4.1 Flow and memory', () => {
    it('delivers every byte exactly once and in order', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const input = pattern(1 << 20, 11);
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      await writeAll(a.peer, chunk(input, irregularSizes(200)));
      await a.peer.end();
      const result = await doneOf(s);
      expect(result).toMatchObject({ reason: 'eof', bytes: input.byteLength });
      await withTimeout(b.peer.ended(), T, 'drain closed at eof');
      await expectReceived(b, input);
    });

    it('holds data back while the drain is stalled and delivers all of it, in order, once it resumes', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const input = pattern(256 * 1024, 12);
      b.peer.stall();
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      const writing = writeAll(a.peer, chunk(input, irregularSizes(40)));
      // The stall must be in force while data arrives; no event says "arrived", so wait a bounded moment.
      await sleep(50);
      expect(b.peer.received().byteLength, 'a stalled drain consumed data').toBe(0);
      b.peer.resume();
      await withTimeout(writing, T, 'peer writes after resume');
      await a.peer.end();
      expect(await doneOf(s)).toMatchObject({ reason: 'eof', bytes: input.byteLength });
      await withTimeout(b.peer.ended(), T, 'drain closed at eof');
      await expectReceived(b, input);
    });

    it('takes no more than both high-water marks plus one chunk while the drain is stalled', async () => {
      // Needs the transport's buffer sizes in bytes: known in memory, unknown
      // behind kernel socket buffers (harness.bufferLimit absent).
      const limit = ctx.harness.bufferLimit;
      if (limit === undefined) return;
      const a = await ctx.side();
      const b = await ctx.side();
      const size = 512;
      const input = pattern(32 * limit, 13);
      const accepted = { bytes: 0 };
      b.peer.stall();
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      const writing = writeAll(a.peer, chunk(input, Array(input.byteLength / size).fill(size)), accepted);
      // Nothing signals "the splice stopped taking bytes": give an unbounded
      // reader a bounded moment to overrun the limits if it would.
      await sleep(100);
      // The drain's queue: its high-water mark plus the chunk that filled it,
      // which on a byte stream may be a whole source queue read at once.
      expect(s.bytes).toBeLessThan(2 * limit + size);
      // Everything in flight: both queues, one chunk in the splice, and the
      // peer's blocked write.
      expect(accepted.bytes).toBeLessThanOrEqual(3 * limit + 2 * size);
      expect(accepted.bytes).toBeLessThan(input.byteLength);
      b.peer.resume();
      await withTimeout(writing, T, 'peer writes after resume');
      await a.peer.end();
      expect(await doneOf(s)).toMatchObject({ reason: 'eof', bytes: input.byteLength });
      await withTimeout(b.peer.ended(), T, 'drain closed at eof');
      await expectReceived(b, input);
    });
  });

  describe('4.2 Counting', () => {
    it('bytes is live: it counts the bytes handed to the drain so far', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      expect(s.bytes).toBe(0);
      const x = pattern(1000, 21);
      const y = pattern(2345, 22);
      await a.peer.write(x);
      await withTimeout(b.peer.receivedAtLeast(x.byteLength), T, 'first write delivered');
      expect(s.bytes).toBe(x.byteLength);
      await a.peer.write(y);
      await withTimeout(b.peer.receivedAtLeast(x.byteLength + y.byteLength), T, 'second write delivered');
      expect(s.bytes).toBe(x.byteLength + y.byteLength);
    });

    it('keeps the final count in the result and on the Splice after the splice ended', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      const x = pattern(4321, 23);
      await a.peer.write(x);
      await a.peer.end();
      const result = await doneOf(s);
      expect(result).toMatchObject({ reason: 'eof', bytes: x.byteLength });
      expect(s.bytes).toBe(x.byteLength);
      const again = await s.unsplice();
      expect(again.bytes).toBe(x.byteLength);
      expect(s.bytes).toBe(x.byteLength);
    });

    it('a new splice on the same streams counts from 0', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const first = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      const x = pattern(1500, 24);
      await a.peer.write(x);
      await withTimeout(b.peer.receivedAtLeast(x.byteLength), T, 'first splice delivering');
      expect(await first.unsplice()).toMatchObject({ reason: 'unsplice', bytes: x.byteLength });
      const second = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      expect(second.bytes).toBe(0);
      const y = pattern(700, 25);
      await a.peer.write(y);
      await withTimeout(b.peer.receivedAtLeast(x.byteLength + y.byteLength), T, 'second splice delivering');
      expect(second.bytes).toBe(y.byteLength);
      expect(first.bytes, 'the first splice kept counting after it ended').toBe(x.byteLength);
      await a.peer.end();
      expect(await doneOf(second)).toMatchObject({ reason: 'eof', bytes: y.byteLength });
    });
  });
}
