/** docs/contract.md#unsplice "Manual unsplice". */
import { describe, expect, it } from 'vitest';
import {
  chunk,
  concat,
  expectBytes,
  macrotask,
  pattern,
  remainderOf,
  sleep,
  stillPendingAfter,
  text,
  until,
  withTimeout,
} from '../harness/_util';
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

export function unspliceSection(ctx: SuiteContext): void {
  describe('4.5 Manual unsplice', () => {
    it("unsplice() ends with 'unsplice' and leaves both streams open, unlocked and usable", async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const x = pattern(2000, 70);
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      await a.peer.write(x);
      await withTimeout(b.peer.receivedAtLeast(x.byteLength), T, 'delivery');
      const result = await withTimeout(s.unsplice(), T, 'unsplice()');
      expect(result).toMatchObject({ reason: 'unsplice', bytes: x.byteLength });
      expect(await doneOf(s)).toEqual(result);
      expectReleased(a.endpoint.readable, b.endpoint.writable);
      await expectSourceUsable(a, new Uint8Array(0), text('source is mine again'));
      await expectDrainUsable(b, x.byteLength, text('drain is mine again'));
    });

    it("aborting the signal ends the splice with 'unsplice'", async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const abort = new AbortController();
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { signal: abort.signal });
      const x = pattern(100, 71);
      await a.peer.write(x);
      await withTimeout(b.peer.receivedAtLeast(x.byteLength), T, 'delivery');
      abort.abort(new Error('stop'));
      expect(await doneOf(s)).toMatchObject({ reason: 'unsplice', bytes: x.byteLength });
      expectReleased(a.endpoint.readable, b.endpoint.writable);
    });

    it("'await using' unsplices at the end of the block", async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      let done: Promise<unknown>;
      {
        await using s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
        done = s.done;
        expect(a.endpoint.readable.locked).toBe(true);
      }
      expectReleased(a.endpoint.readable, b.endpoint.writable);
      expect(await withTimeout(done, T, 'done')).toMatchObject({ reason: 'unsplice', bytes: 0 });
    });

    it('abandons a read in flight without losing its data: the bytes stay queued in the source', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      // Let the splice start its read on the empty source.
      await macrotask();
      expect(await withTimeout(s.unsplice(), T, 'unsplice()')).toMatchObject({ reason: 'unsplice', bytes: 0 });
      expectReleased(a.endpoint.readable, b.endpoint.writable);
      await expectSourceUsable(a, new Uint8Array(0), text('arrived after unsplice'));
      expect(b.peer.received().byteLength).toBe(0);
    });

    it('hands a chunk already taken to the writable first; the rest stays in the source', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const input = pattern(512 * 1024, 72);
      b.peer.stall();
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      const writing = writeAll(a.peer, chunk(input, Array(128).fill(4096)));
      writing.catch(() => {});
      await withTimeout(until(() => s.bytes > 0, T, 'first bytes handed over'), T, 'first bytes');
      // Let the splice run into the stalled drain with a chunk in hand.
      await sleep(20);
      const result = await withTimeout(s.unsplice(), T, 'unsplice() with a stalled drain');
      expect(result.reason).toBe('unsplice');
      expect(remainderOf(result).byteLength, 'unsplice gave bytes back as remainder').toBe(0);
      expect(s.bytes).toBe(result.bytes);
      b.peer.resume();
      await expectConserved(a, b, input, result);
      await withTimeout(writing, T, 'peer writes');
    });

    it('does not wait for a stalled drain; handed bytes reach it in order before later writes', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const x = pattern(1000, 73);
      const y = text('written by the application afterwards');
      b.peer.stall();
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      await a.peer.write(x);
      await until(() => s.bytes === x.byteLength, T, 'x handed to the drain');
      const result = await withTimeout(s.unsplice(), T, 'unsplice() with a stalled drain');
      expect(result).toMatchObject({ reason: 'unsplice', bytes: x.byteLength });
      expectReleased(a.endpoint.readable, b.endpoint.writable);
      const writer = b.endpoint.writable.getWriter();
      const written = writer.write(y);
      written.catch(() => {});
      b.peer.resume();
      await withTimeout(written, T, 'later write');
      writer.releaseLock();
      await withTimeout(b.peer.receivedAtLeast(x.byteLength + y.byteLength), T, 'x then y');
      expectBytes(b.peer.received(), concat(x, y));
    });

    it("at 'eof', done waits for the drain's close to settle", async () => {
      // Needs a drain whose close can be held back: a stalled in-memory sink.
      // A socket's close settles once the kernel took the bytes, which a
      // stalled peer does not prevent for a small payload.
      if (ctx.harness.features.socket) return;
      const a = await ctx.side();
      const b = await ctx.side();
      const x = pattern(500, 74);
      b.peer.stall();
      await a.peer.write(x);
      await a.peer.end();
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      // Proving "not yet" needs a bounded wait.
      expect(await stillPendingAfter(s.done, 50), 'done settled before the close did').toBe(true);
      b.peer.resume();
      expect(await doneOf(s)).toMatchObject({ reason: 'eof', bytes: x.byteLength });
      await withTimeout(b.peer.ended(), T, 'drain closed');
      await expectReceived(b, x);
    });

    it("unsplice() during the eof close resolves done at once with 'eof' while the close goes on", async () => {
      // As above: only an in-memory drain can hold its close back.
      if (ctx.harness.features.socket) return;
      const a = await ctx.side();
      const b = await ctx.side();
      const x = pattern(500, 75);
      b.peer.stall();
      await a.peer.write(x);
      await a.peer.end();
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      await until(() => s.bytes === x.byteLength, T, 'x handed to the drain');
      // The source is at EOF with nothing queued: one macrotask lets the splice see it and start the close.
      await macrotask();
      const result = await withTimeout(s.unsplice(), T, 'unsplice() during the close');
      expect(result).toMatchObject({ reason: 'eof', bytes: x.byteLength });
      expect(await doneOf(s)).toEqual(result);
      b.peer.resume();
      await withTimeout(b.peer.ended(), T, 'the close going on after unsplice()');
      await expectReceived(b, x);
    });

    it('unsplice() after the end returns the final result and changes nothing', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const x = pattern(300, 76);
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { preventClose: true });
      await a.peer.write(x);
      await a.peer.end();
      const result = await doneOf(s);
      expect(result).toMatchObject({ reason: 'eof', bytes: x.byteLength });
      const [again, twice] = await Promise.all([s.unsplice(), s.unsplice()]);
      expect(again).toEqual(result);
      expect(twice).toEqual(result);
      // The drain stayed open (preventClose) and unsplice() did not touch it.
      await expectDrainUsable(b, x.byteLength, text('still open'));
    });

    it('concurrent unsplice() calls all resolve to the result of done', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      const calls = [s.unsplice(), s.unsplice(), s.unsplice()];
      const results = await withTimeout(Promise.all(calls), T, 'unsplice() x3');
      const done = await doneOf(s);
      for (const r of results) expect(r).toEqual(done);
      expect(done).toMatchObject({ reason: 'unsplice', bytes: 0 });
      expectReleased(a.endpoint.readable, b.endpoint.writable);
    });
  });
}
