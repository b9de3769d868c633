/** docs/contract.md#idle "idle". */
import { describe, expect, it } from 'vitest';
import type { SpliceResult } from '@sosplice/core';
import { chunk, pattern, sleep, text, withTimeout } from '../harness/_util';
import {
  T,
  doneOf,
  expectConserved,
  expectDrainUsable,
  expectReleased,
  expectSourceUsable,
  settledFlag,
  writeAll,
  type SuiteContext,
} from './_suite-context';

/** Timers may fire a little early on some runtimes; never by more than this. */
const EARLY_MS = 5;

/**
 * `idle` for the re-arm tests. Over sockets small writes can sit behind
 * Nagle and delayed ACKs (tens to 200 ms per hop) on top of a loaded
 * machine's scheduling, so only a much longer `idle` makes "no gap exceeds
 * it" a fact of the engine rather than of the network.
 */
const steadyIdle = (ctx: SuiteContext): number => (ctx.harness.features.socket ? 800 : 300);

/** Waits for a delivery; if the splice ends first, returns its result instead. */
async function deliveredOrEnded(delivered: Promise<void>, done: Promise<SpliceResult>, what: string): Promise<SpliceResult | undefined> {
  return withTimeout(Promise.race([delivered.then(() => undefined), done]), T, what);
}

export function idleSection(ctx: SuiteContext): void {
  describe('4.4 idle', () => {
    it("ends with 'idle' once nothing moved for idle ms, leaving both streams open and unlocked", async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const idle = 100;
      const started = performance.now();
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { idle });
      const result = await doneOf(s);
      expect(result).toMatchObject({ reason: 'idle', bytes: 0 });
      expect(performance.now() - started).toBeGreaterThanOrEqual(idle - EARLY_MS);
      expectReleased(a.endpoint.readable, b.endpoint.writable);
      await expectSourceUsable(a, new Uint8Array(0), text('after idle'));
      await expectDrainUsable(b, 0, text('drain after idle'));
    });

    it('re-arms the timer with every delivered chunk', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const idle = steadyIdle(ctx);
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { idle });
      const started = performance.now();
      let lastDelivery = started;
      let sent = 0;
      // Chunks 20 ms apart until twice `idle` has passed: only re-arming keeps it alive.
      for (let i = 0; i < 200 && performance.now() - started < 2 * idle; i++) {
        await a.peer.write(pattern(100, 50 + i));
        sent += 100;
        const early = await deliveredOrEnded(b.peer.receivedAtLeast(sent), s.done, `chunk ${i}`);
        if (early) expect.fail(`ended '${early.reason}' at chunk ${i}, ${Math.round(performance.now() - lastDelivery)} ms after the last delivery (idle ${idle})`);
        lastDelivery = performance.now();
        await sleep(20);
      }
      expect(performance.now() - started).toBeGreaterThan(idle);
      const result = await doneOf(s);
      expect(result).toMatchObject({ reason: 'idle', bytes: sent });
      expect(performance.now() - lastDelivery).toBeGreaterThanOrEqual(idle - EARLY_MS);
    });

    it('gives each direction of spliceBidirectional its own idle timer', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const idle = steadyIdle(ctx);
      const p = ctx.pair(a.endpoint, b.endpoint, { idle });
      const bToAEnded = settledFlag(p.bToA.done);
      const started = performance.now();
      let lastDelivery = started;
      let sent = 0;
      // a keeps talking every 20 ms until well past `idle`; b stays silent.
      for (let i = 0; i < 200 && (!bToAEnded.settled || performance.now() - started < 2 * idle); i++) {
        await a.peer.write(pattern(10, 60 + i));
        sent += 10;
        const early = await deliveredOrEnded(b.peer.receivedAtLeast(sent), p.aToB.done, `a to b chunk ${i}`);
        if (early) {
          const quiet = Math.round(performance.now() - lastDelivery);
          expect.fail(`the busy direction ended '${early.reason}' at chunk ${i}, ${quiet} ms after its last delivery (idle ${idle}); silent direction ended: ${bToAEnded.settled}`);
        }
        lastDelivery = performance.now();
        await sleep(20);
      }
      expect(await doneOf(p.bToA, 'the silent direction ending')).toMatchObject({ reason: 'idle', bytes: 0 });
      const [rAB, rBA] = await withTimeout(p.done, T, 'pair.done');
      expect(rAB).toMatchObject({ reason: 'idle', bytes: sent });
      expect(rBA).toMatchObject({ reason: 'idle', bytes: 0 });
    });

    it('delivers everything already read before ending, and loses nothing queued in the source', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const input = pattern(512 * 1024, 61);
      b.peer.stall();
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { idle: 100 });
      // The stalled drain stops progress, so idle fires with data still on the way.
      const writing = writeAll(a.peer, chunk(input, Array(128).fill(4096)));
      writing.catch(() => {});
      const result = await doneOf(s);
      expect(result.reason).toBe('idle');
      expect(s.bytes).toBe(result.bytes);
      expectReleased(a.endpoint.readable, b.endpoint.writable);
      b.peer.resume();
      await expectConserved(a, b, input, result);
      await withTimeout(writing, T, 'peer writes');
    });
  });
}
