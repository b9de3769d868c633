/** docs/contract.md#how-a-splice-ends "How a splice ends", with spliceBidirectional and half-close. */
import { describe, expect, it } from 'vitest';
import type { SpliceResult } from '@sosplice/core';
import { concat, expectBytes, pattern, readToEnd, stillPendingAfter, text, withTimeout } from '../harness/_util';
import {
  T,
  doneOf,
  expectDrainUsable,
  expectReceived,
  expectReleased,
  expectSourceUsable,
  type Side,
  type SuiteContext,
} from './_suite-context';

/**
 * Runs a splice `a -> b` that ends in one of the three "released open" ways.
 * The idle one carries no data: a byte arriving late on a loaded machine
 * would otherwise race the timer.
 */
type Ending = 'max' | 'idle' | 'unsplice';
const FIRST = pattern(64, 80);
async function endBy(ctx: SuiteContext, a: Side, b: Side, ending: Ending): Promise<Uint8Array> {
  if (ending === 'idle') {
    const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { idle: 100 });
    expect(await doneOf(s)).toMatchObject({ reason: 'idle', bytes: 0 });
    return new Uint8Array(0);
  }
  const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, ending === 'max' ? { max: FIRST.byteLength } : {});
  await a.peer.write(FIRST);
  await withTimeout(b.peer.receivedAtLeast(FIRST.byteLength), T, 'delivery');
  if (ending === 'unsplice') await s.unsplice();
  expect(await doneOf(s)).toMatchObject({ reason: ending, bytes: FIRST.byteLength });
  return FIRST;
}

export function endSection(ctx: SuiteContext): void {
  describe('5 How a splice ends', () => {
    it("at source EOF ends with 'eof' and closes the writable (a half-close)", async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const x = pattern(777, 81);
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      await a.peer.write(x);
      await a.peer.end();
      expect(await doneOf(s)).toMatchObject({ reason: 'eof', bytes: x.byteLength });
      await withTimeout(b.peer.ended(), T, 'drain closed');
      await expectReceived(b, x);
      expectReleased(a.endpoint.readable, b.endpoint.writable);
    });

    it('with preventClose, EOF leaves the writable open and unlocked', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const x = pattern(333, 82);
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { preventClose: true });
      await a.peer.write(x);
      await a.peer.end();
      expect(await doneOf(s)).toMatchObject({ reason: 'eof', bytes: x.byteLength });
      expectReleased(a.endpoint.readable, b.endpoint.writable);
      await expectDrainUsable(b, x.byteLength, text('the drain is still open'));
      expectBytes(b.peer.received(), concat(x, text('the drain is still open')));
    });

    for (const ending of ['max', 'idle', 'unsplice'] as const) {
      it(`after '${ending}' both streams are released open and can be spliced again`, async () => {
        const a = await ctx.side();
        const b = await ctx.side();
        const first = await endBy(ctx, a, b, ending);
        expectReleased(a.endpoint.readable, b.endpoint.writable);
        const again = ctx.splice(a.endpoint.readable, b.endpoint.writable);
        const y = pattern(200, 83);
        await a.peer.write(y);
        await a.peer.end();
        expect(await doneOf(again)).toMatchObject({ reason: 'eof', bytes: y.byteLength });
        await withTimeout(b.peer.ended(), T, 'drain closed by the second splice');
        await expectReceived(b, concat(first, y));
      });
    }

    it("on a source error ends with 'error' and the original error, and aborts the writable", async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      const isResetError = await a.peer.reset();
      const result = await doneOf(s);
      expect(result.reason).toBe('error');
      expect(isResetError(result.error), `not the source's error: ${String(result.error)}`).toBe(true);
      const reason = await withTimeout(b.peer.aborted(), T, 'drain aborted');
      // Only an in-memory sink sees the abort reason; a socket just closes.
      if (!ctx.harness.features.socket) expect(isResetError(reason)).toBe(true);
      expectReleased(a.endpoint.readable, b.endpoint.writable);
    });

    it('with preventAbort, a source error leaves the writable open and usable', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { preventAbort: true });
      const isResetError = await a.peer.reset();
      const result = await doneOf(s);
      expect(result.reason).toBe('error');
      expect(isResetError(result.error)).toBe(true);
      expectReleased(a.endpoint.readable, b.endpoint.writable);
      await expectDrainUsable(b, 0, text('not aborted'));
      // Proving "never aborted" needs a bounded wait.
      expect(await stillPendingAfter(b.peer.aborted(), 20), 'drain aborted despite preventAbort').toBe(true);
    });

    it("on a drain error ends with 'error' and the original error, and cancels the source", async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      const isResetError = await b.peer.reset();
      // Some bytes to write, for an engine that learns of the error only by writing.
      await a.peer.write(text('into a failed drain')).catch(() => {});
      const result = await doneOf(s);
      expect(result.reason).toBe('error');
      expect(isResetError(result.error), `not the drain's error: ${String(result.error)}`).toBe(true);
      const reason = await withTimeout(a.peer.aborted(), T, 'source cancelled');
      // Only an in-memory source sees the cancel reason; a socket just closes.
      if (!ctx.harness.features.socket) expect(isResetError(reason)).toBe(true);
      expectReleased(a.endpoint.readable, b.endpoint.writable);
    });

    it('with preventCancel, a drain error leaves the source open and readable', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { preventCancel: true });
      const isResetError = await b.peer.reset();
      const result = await doneOf(s);
      expect(result.reason).toBe('error');
      expect(isResetError(result.error)).toBe(true);
      expectReleased(a.endpoint.readable, b.endpoint.writable);
      await expectSourceUsable(a, new Uint8Array(0), text('not cancelled'));
      expect(await stillPendingAfter(a.peer.aborted(), 20), 'source cancelled despite preventCancel').toBe(true);
    });
  });

  describe('5 spliceBidirectional and half-close', () => {
    it('forwards both ways, counts each direction, and unsplices both', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const p = ctx.pair(a.endpoint, b.endpoint);
      const x = pattern(6000, 84);
      const y = pattern(4000, 85);
      await Promise.all([a.peer.write(x), b.peer.write(y)]);
      await withTimeout(b.peer.receivedAtLeast(x.byteLength), T, 'a to b');
      await withTimeout(a.peer.receivedAtLeast(y.byteLength), T, 'b to a');
      expectBytes(b.peer.received(), x, 'a to b');
      expectBytes(a.peer.received(), y, 'b to a');
      expect([p.aToB.bytes, p.bToA.bytes]).toEqual([x.byteLength, y.byteLength]);
      const [ab, ba] = await withTimeout(p.unsplice(), T, 'pair.unsplice()');
      expect(ab).toMatchObject({ reason: 'unsplice', bytes: x.byteLength });
      expect(ba).toMatchObject({ reason: 'unsplice', bytes: y.byteLength });
      expect(await withTimeout(p.done, T, 'pair.done')).toEqual([ab, ba]);
      expectReleased(a.endpoint.readable, b.endpoint.writable);
      expectReleased(b.endpoint.readable, a.endpoint.writable);
    });

    it("a signal unsplices both directions, and so does 'await using' on the pair", async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const abort = new AbortController();
      const p = ctx.pair(a.endpoint, b.endpoint, { signal: abort.signal });
      await a.peer.write(pattern(10, 90));
      await withTimeout(b.peer.receivedAtLeast(10), T, 'a to b');
      abort.abort();
      const [ab, ba] = await withTimeout(p.done, T, 'pair.done after abort');
      expect(ab).toMatchObject({ reason: 'unsplice', bytes: 10 });
      expect(ba).toMatchObject({ reason: 'unsplice', bytes: 0 });
      expectReleased(a.endpoint.readable, b.endpoint.writable);
      expectReleased(b.endpoint.readable, a.endpoint.writable);

      let done: Promise<[SpliceResult, SpliceResult]>;
      {
        await using q = ctx.pair(a.endpoint, b.endpoint);
        done = q.done;
        expect(a.endpoint.readable.locked && b.endpoint.readable.locked).toBe(true);
      }
      expectReleased(a.endpoint.readable, b.endpoint.writable);
      expectReleased(b.endpoint.readable, a.endpoint.writable);
      const [qab, qba] = await withTimeout(done, T, 'pair.done after await using');
      expect([qab.reason, qba.reason]).toEqual(['unsplice', 'unsplice']);
    });

    it('a half-close travels: EOF one way closes that drain while the other way keeps flowing', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const p = ctx.pair(a.endpoint, b.endpoint);
      const request = text('request, then FIN');
      await a.peer.write(request);
      await a.peer.end();
      expect(await doneOf(p.aToB, 'a to b at eof')).toMatchObject({ reason: 'eof', bytes: request.byteLength });
      await withTimeout(b.peer.ended(), T, "a's FIN reaching b");
      await expectReceived(b, request);
      // The answer comes after the FIN and still travels.
      const answer = pattern(50_000, 86);
      await b.peer.write(answer);
      await withTimeout(a.peer.receivedAtLeast(answer.byteLength), T, 'answer after the half-close');
      expectBytes(a.peer.received(), answer);
      await b.peer.end();
      await withTimeout(a.peer.ended(), T, "b's FIN reaching a");
      const [ab, ba] = await withTimeout(p.done, T, 'pair.done');
      expect(ab).toMatchObject({ reason: 'eof', bytes: request.byteLength });
      expect(ba).toMatchObject({ reason: 'eof', bytes: answer.byteLength });
    });

    it('a pair with max ends each direction at its own max', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const p = ctx.pair(a.endpoint, b.endpoint, { max: 100 });
      await Promise.all([a.peer.write(pattern(150, 87)), b.peer.write(pattern(60, 88))]);
      expect(await doneOf(p.aToB)).toMatchObject({ reason: 'max', bytes: 100 });
      await withTimeout(a.peer.receivedAtLeast(60), T, 'b to a');
      expect(p.bToA.bytes).toBe(60);
      await b.peer.end();
      const [, ba] = await withTimeout(p.done, T, 'pair.done');
      expect(ba).toMatchObject({ reason: 'eof', bytes: 60 });
    });

    it('reads the source to its end after a pair ends, from where the splice stopped', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const p = ctx.pair(a.endpoint, b.endpoint, { max: 10 });
      const x = pattern(25, 89);
      await a.peer.write(x);
      const ab = await doneOf(p.aToB);
      await withTimeout(p.unsplice(), T, 'pair.unsplice()');
      await a.peer.end();
      const rest = await readToEnd(a.endpoint.readable, T);
      expectBytes(concat(ab.remainder, rest), x.subarray(10), 'remainder + source after the pair');
    });
  });
}
