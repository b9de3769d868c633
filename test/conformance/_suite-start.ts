/** docs/contract.md#starting-a-splice, "Starting a splice". */
import { describe, expect, it } from 'vitest';
import { spliceStreams } from '@sosplice/core';
import { concat, expectBytes, pattern, readAtLeast, remainderOf, sleep, text, withTimeout } from '../harness/_util';
import { T, doneOf, expectReceived, expectReleased, type SuiteContext } from './_suite-context';

export function startSection(ctx: SuiteContext): void {
  describe('3 Starting a splice', () => {
    it('forwards data already queued in the source first, then what arrives later', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const queued = text('queued before the splice;');
      const later = text('arrived while spliced.');
      await a.peer.write(queued);
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      await withTimeout(b.peer.receivedAtLeast(queued.byteLength), T, 'queued bytes reaching the drain');
      await a.peer.write(later);
      await a.peer.end();
      const result = await doneOf(s);
      expect(result).toMatchObject({ reason: 'eof', bytes: queued.byteLength + later.byteLength });
      await withTimeout(b.peer.ended(), T, 'drain closed at eof');
      await expectReceived(b, concat(queued, later));
    });

    it('forwards a backlog that fills every buffer of the source in order, before what arrives later', async () => {
      // Regression: the kernel path sent the runtime's own buffer before the
      // adapter's older one when both held bytes at the splice's start.
      const a = await ctx.side();
      const b = await ctx.side();
      const backlog = pattern(1 << 20, 5);
      const later = pattern(10_000, 6);
      const writing = a.peer.write(backlog);
      // No event says "every buffer is full": give the transport a bounded moment to fill them.
      await sleep(50);
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      await withTimeout(writing, T, 'backlog written');
      await a.peer.write(later);
      await a.peer.end();
      expect(await doneOf(s)).toMatchObject({ reason: 'eof', bytes: backlog.byteLength + later.byteLength });
      await withTimeout(b.peer.ended(), T, 'drain closed at eof');
      await expectReceived(b, concat(backlog, later));
    });

    it('locks both streams while spliced: nobody else can read the source or write the drain', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const c = await ctx.side();
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      expect(a.endpoint.readable.locked).toBe(true);
      expect(b.endpoint.writable.locked).toBe(true);
      expect(() => a.endpoint.readable.getReader()).toThrow(TypeError);
      expect(() => b.endpoint.writable.getWriter()).toThrow(TypeError);
      expect(() => spliceStreams(a.endpoint.readable, c.endpoint.writable)).toThrow(
        expect.objectContaining({ name: 'TypeError', code: 'ERR_SPLICE_BUSY' }),
      );
      expect(() => spliceStreams(c.endpoint.readable, b.endpoint.writable)).toThrow(
        expect.objectContaining({ name: 'TypeError', code: 'ERR_SPLICE_BUSY' }),
      );
      // The refused splices locked nothing of their own.
      expect(c.endpoint.readable.locked).toBe(false);
      expect(c.endpoint.writable.locked).toBe(false);
      await s.unsplice();
      expectReleased(a.endpoint.readable, b.endpoint.writable);
    });

    it('refuses a stream held by a reader or writer with ERR_SPLICE_BUSY and leaves the other unlocked', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const reader = a.endpoint.readable.getReader();
      expect(() => spliceStreams(a.endpoint.readable, b.endpoint.writable)).toThrow(
        expect.objectContaining({ code: 'ERR_SPLICE_BUSY' }),
      );
      expect(b.endpoint.writable.locked, 'drain locked by a refused splice').toBe(false);
      reader.releaseLock();
      const writer = b.endpoint.writable.getWriter();
      expect(() => spliceStreams(a.endpoint.readable, b.endpoint.writable)).toThrow(
        expect.objectContaining({ code: 'ERR_SPLICE_BUSY' }),
      );
      expect(a.endpoint.readable.locked, 'source locked by a refused splice').toBe(false);
      writer.releaseLock();
    });

    it('lets a stream be the source of one splice and the drain of another at the same time', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const ab = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      const ba = ctx.splice(b.endpoint.readable, a.endpoint.writable);
      const x = pattern(3000, 1);
      const y = pattern(2000, 2);
      await Promise.all([a.peer.write(x), b.peer.write(y)]);
      await withTimeout(b.peer.receivedAtLeast(x.byteLength), T, 'a to b');
      await withTimeout(a.peer.receivedAtLeast(y.byteLength), T, 'b to a');
      expectBytes(b.peer.received(), x, 'a to b');
      expectBytes(a.peer.received(), y, 'b to a');
      expect([ab.bytes, ba.bytes]).toEqual([x.byteLength, y.byteLength]);
    });

    it("echoes when an endpoint's readable is spliced into its own writable", async () => {
      const e = await ctx.side();
      const s = ctx.splice(e.endpoint.readable, e.endpoint.writable);
      const x = pattern(5000, 3);
      await e.peer.write(x);
      await withTimeout(e.peer.receivedAtLeast(x.byteLength), T, 'echo');
      await e.peer.end();
      const result = await doneOf(s);
      expect(result).toMatchObject({ reason: 'eof', bytes: x.byteLength });
      await withTimeout(e.peer.ended(), T, 'echo half-closed at eof');
      await expectReceived(e, x, 'echo');
    });

    it("with an already-aborted signal, done is { reason: 'unsplice', bytes: 0 } and both streams are untouched", async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const x = text('still mine');
      await a.peer.write(x);
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { signal: AbortSignal.abort() });
      const result = await doneOf(s);
      expect(result).toMatchObject({ reason: 'unsplice', bytes: 0 });
      expect(result.error).toBeUndefined();
      expect(remainderOf(result).byteLength).toBe(0);
      expect(s.bytes).toBe(0);
      expectReleased(a.endpoint.readable, b.endpoint.writable);
      expectBytes(await readAtLeast(a.endpoint.readable, x.byteLength, T), x, 'source after an aborted start');
      expect(b.peer.received().byteLength).toBe(0);
    });
  });
}
