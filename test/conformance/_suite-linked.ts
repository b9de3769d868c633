/**
 * SPEC.md 5.1 "A linked pair" and 4.4 (idle with `linked`): with
 * `spliceBidirectional(a, b, { linked: true })` the first ending other than
 * EOF ends the other direction at once ('unsplice', or 'idle' for the pair's
 * idle), each direction keeps its exact count, and EOF still half-closes.
 */
import { describe, expect, it } from 'vitest';
import { pattern, sleep, text, withTimeout } from '../harness/_util';
import { T, doneOf, expectDrainUsable, expectReceived, expectReleased, expectSourceUsable, settledFlag, type SuiteContext } from './_suite-context';

export function linkedSection(ctx: SuiteContext): void {
  describe('5.1 A linked pair', () => {
    it("'max' in one direction ends the other at once with 'unsplice'; each keeps its count; all released and usable", async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const pair = ctx.pair(a.endpoint, b.endpoint, { linked: true, max: 100 });
      const answer = pattern(10, 90);
      await b.peer.write(answer);
      await expectReceived(a, answer, 'b -> a before the max');
      const upload = pattern(100, 91);
      await a.peer.write(upload);
      const [up, down] = await withTimeout(pair.done, T, 'pair.done');
      expect(up).toEqual({ reason: 'max', bytes: 100 });
      expect(down).toEqual({ reason: 'unsplice', bytes: 10 });
      await expectReceived(b, upload, 'a -> b up to max');
      expectReleased(a.endpoint.readable, b.endpoint.writable);
      expectReleased(b.endpoint.readable, a.endpoint.writable);
      await expectSourceUsable(b, new Uint8Array(0), text('b after the pair'));
      await expectDrainUsable(a, answer.byteLength, text('a after the pair'));
    });

    it("unsplicing one direction ends the other with 'unsplice'", async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const pair = ctx.pair(a.endpoint, b.endpoint, { linked: true });
      const x = pattern(300, 92);
      await a.peer.write(x);
      await expectReceived(b, x, 'a -> b');
      expect(await pair.bToA.unsplice()).toEqual({ reason: 'unsplice', bytes: 0 });
      expect(await doneOf(pair.aToB)).toEqual({ reason: 'unsplice', bytes: x.byteLength });
      expectReleased(a.endpoint.readable, b.endpoint.writable);
      await expectSourceUsable(a, new Uint8Array(0), text('a after the pair'));
    });

    it("an error in one direction ends the other with 'unsplice' and keeps its streams open", async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const boom = new Error('upload source failed');
      let fail!: (error: unknown) => void;
      // The upload's source is a stream of its own, so only that direction fails.
      const upload = new ReadableStream<Uint8Array>({ start: (c) => void (fail = (e) => c.error(e)) });
      const pair = ctx.pair({ readable: upload, writable: a.endpoint.writable }, b.endpoint, { linked: true });
      const answer = pattern(50, 93);
      await b.peer.write(answer);
      await expectReceived(a, answer, 'b -> a before the error');
      fail(boom);
      const [up, down] = await withTimeout(pair.done, T, 'pair.done');
      expect(up).toEqual({ reason: 'error', bytes: 0, error: boom });
      expect(down).toEqual({ reason: 'unsplice', bytes: answer.byteLength });
      await withTimeout(b.peer.aborted(), T, "b's writable aborted by the upload's error");
      expectReleased(b.endpoint.readable, a.endpoint.writable);
      await expectDrainUsable(a, answer.byteLength, text('a after the pair'));
    });

    it('a reset of one socket ends both directions at once', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const pair = ctx.pair(a.endpoint, b.endpoint, { linked: true });
      const x = pattern(200, 94);
      await b.peer.write(x);
      await expectReceived(a, x, 'b -> a before the reset');
      await b.peer.reset();
      const [up, down] = await withTimeout(pair.done, T, 'pair.done after the reset');
      // The reset fails b's both streams, one per direction: the direction that
      // sees it first ends 'error'; the other ends 'unsplice' unless it saw the
      // same failure in the same moment.
      expect([up.reason, down.reason]).toContain('error');
      for (const r of [up, down]) expect(['error', 'unsplice']).toContain(r.reason);
      expect(down.bytes).toBe(x.byteLength);
      expect(up.bytes).toBe(0);
    });

    it("EOF still half-closes: the other direction flows on until its own end", async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const pair = ctx.pair(a.endpoint, b.endpoint, { linked: true, idle: 10_000 });
      const request = pattern(120, 95);
      await a.peer.write(request);
      await a.peer.end();
      expect(await doneOf(pair.aToB)).toEqual({ reason: 'eof', bytes: request.byteLength });
      await withTimeout(b.peer.ended(), T, "b's peer seeing the FIN");
      const response = pattern(4000, 96);
      await b.peer.write(response);
      await expectReceived(a, response, 'the answer after the half-close');
      expect(settledFlag(pair.bToA.done).settled).toBe(false);
      await b.peer.end();
      expect(await doneOf(pair.bToA)).toEqual({ reason: 'eof', bytes: response.byteLength });
    });

    it("idle watches the connection: a download with a silent upload is not idle; then both end 'idle'", async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      // Over sockets small writes may wait on Nagle and delayed ACKs: a longer idle (see _suite-idle.ts).
      const idle = ctx.harness.features.socket ? 800 : 300;
      const pair = ctx.pair(a.endpoint, b.endpoint, { linked: true, idle });
      const upDone = settledFlag(pair.aToB.done);
      const started = performance.now();
      let sent = 0;
      // A download for 1.25 x `idle`: the silent upload alone would have expired meanwhile.
      for (let i = 0; i < 300 && performance.now() - started < 1.25 * idle; i++) {
        await b.peer.write(pattern(64, 97 + i));
        sent += 64;
        await sleep(idle / 10);
      }
      await withTimeout(a.peer.receivedAtLeast(sent), T, 'the download arriving');
      expect(upDone.settled, 'the silent upload ended while the download moved').toBe(false);
      const [up, down] = await withTimeout(pair.done, T + 2 * idle, 'pair.done after the download stopped');
      expect(up).toEqual({ reason: 'idle', bytes: 0 });
      expect(down).toEqual({ reason: 'idle', bytes: sent });
      expectReleased(a.endpoint.readable, b.endpoint.writable);
      expectReleased(b.endpoint.readable, a.endpoint.writable);
    });

    it('without linked, max in one direction leaves the other running (BSD)', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const pair = ctx.pair(a.endpoint, b.endpoint, { max: 10 });
      await a.peer.write(pattern(10, 98));
      expect(await doneOf(pair.aToB)).toEqual({ reason: 'max', bytes: 10 });
      const x = pattern(5, 99);
      await b.peer.write(x);
      await expectReceived(a, x, 'b -> a after the other direction ended');
      expect(settledFlag(pair.bToA.done).settled).toBe(false);
    });
  });
}
