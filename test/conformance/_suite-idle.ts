/** SPEC.md 4.4 "idle". */
import { describe, expect, it } from 'vitest';
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
      await expectDrainUsable(b, text('drain after idle'));
    });

    it('re-arms the timer with every delivered chunk', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const idle = 200;
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { idle });
      const ended = settledFlag(s.done);
      const started = performance.now();
      let sent = 0;
      let lastDelivery = started;
      // 16 chunks 25 ms apart span 400 ms, twice `idle`: only re-arming keeps it alive.
      for (let i = 0; i < 16; i++) {
        await a.peer.write(pattern(100, 50 + i));
        sent += 100;
        await withTimeout(b.peer.receivedAtLeast(sent), T, `chunk ${i}`);
        lastDelivery = performance.now();
        expect(ended.settled, `ended after ${Math.round(performance.now() - started)} ms of steady traffic`).toBe(false);
        await sleep(25);
      }
      expect(performance.now() - started).toBeGreaterThan(idle);
      const result = await doneOf(s);
      expect(result).toMatchObject({ reason: 'idle', bytes: sent });
      expect(performance.now() - lastDelivery).toBeGreaterThanOrEqual(idle - EARLY_MS);
    });

    it('gives each direction of spliceBidirectional its own idle timer', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const idle = 150;
      const p = ctx.pair(a.endpoint, b.endpoint, { idle });
      const aToBEnded = settledFlag(p.aToB.done);
      const bToAEnded = settledFlag(p.bToA.done);
      let sent = 0;
      // a keeps talking for 20 x 20 ms = 400 ms; b stays silent.
      for (let i = 0; i < 20 && !bToAEnded.settled; i++) {
        await a.peer.write(pattern(10, 60 + i));
        sent += 10;
        await withTimeout(b.peer.receivedAtLeast(sent), T, `a to b chunk ${i}`);
        await sleep(20);
      }
      const bToA = await doneOf(p.bToA, 'the silent direction ending');
      expect(bToA).toMatchObject({ reason: 'idle', bytes: 0 });
      expect(aToBEnded.settled, 'the busy direction ended with the silent one').toBe(false);
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
