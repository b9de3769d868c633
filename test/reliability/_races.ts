/**
 * Races (issue 7): unsplice against EOF, against max completion, against
 * idle expiry, against a peer reset; an abort fired from inside a write;
 * unsplice() twice and from `done` handlers.
 *
 * For each: `done` settles once, every `unsplice()` resolves to that same
 * result, and the property test's invariant holds: what the drain's peer
 * received (exactly `bytes`), then `remainder`, then what a new reader reads
 * from the source, is what was sent, in order.
 */
import { describe, expect } from 'vitest';
import type { Splice, SpliceResult } from '@sosplice/core';
import type { HarnessFactory, Peer } from '../conformance/_harness';
import { concat, expectBytes, macrotask, pattern, remainderOf, sleep, until, withTimeout } from '../harness/_util';
import { drainToEnd, expectPrefix, prng, sender, T, watchDone, type RuntimeHooks } from './_common';
import { add, scenario, section as reportSection } from './_record';
import { section } from './_suite';

/** The moments a second event can come after the first: same tick, a microtask, a macrotask, a few ms. */
const gaps = [-1, 0, 1, 2, 5] as const;
const gap = async (g: number): Promise<void> => {
  if (g === -1) return;
  if (g === 0) return Promise.resolve();
  if (g === 1) return macrotask();
  return sleep(g);
};

/**
 * After a splice ended with its streams released: the drain's peer gets
 * exactly `result.bytes`, and the source gives the rest. `ended` says the
 * source's peer already sent EOF.
 */
async function expectConservation(
  io: { a: { endpoint: { readable: ReadableStream<Uint8Array> }; peer: Peer }; b: { peer: Peer } },
  sent: Uint8Array,
  result: SpliceResult,
  ended: boolean,
): Promise<void> {
  const rest = drainToEnd(io.a.endpoint.readable);
  if (!ended) await io.a.peer.end();
  await withTimeout(io.b.peer.receivedAtLeast(result.bytes), T, `drain peer receiving ${result.bytes} bytes`);
  await macrotask();
  expect(io.b.peer.received().byteLength, 'drain peer received more than bytes').toBe(result.bytes);
  expectBytes(concat(io.b.peer.received(), remainderOf(result), await rest), sent, 'received + remainder + source rest');
}

/** Both unsplice() calls and done agree, and done's reactions ran once. */
async function expectOneResult(s: Splice, calls: Array<Promise<SpliceResult>>, watch: { readonly settled: number }): Promise<SpliceResult> {
  const result = await withTimeout(s.done, T, 'done');
  for (const c of calls) expect(await withTimeout(c, T, 'unsplice()')).toEqual(result);
  expect(await s.unsplice(), 'unsplice() after the end').toEqual(result);
  await macrotask();
  expect(watch.settled).toBe(1);
  expect(s.bytes).toBe(result.bytes);
  return result;
}

export function describeRaces(factory: HarnessFactory, label: string, hooks?: RuntimeHooks, rounds: number = gaps.length, seed = 11): void {
  describe(`${label} races`, () => {
    reportSection('Races');
    const ctx = section(factory, hooks);
    const size = (rnd: ReturnType<typeof prng>): number => rnd.int(1, ctx.harness.features.socket ? 200_000 : 20_000);

    scenario('unsplice against EOF', ctx.path, async (fig) => {
      const rnd = prng(seed);
      for (let k = 0; k < rounds; k++) {
        const a = await ctx.side();
        const b = await ctx.side();
        const x = pattern(size(rnd), seed + k);
        const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
        const watch = watchDone(s.done);
        await a.peer.write(x);
        const ending = a.peer.end();
        await gap(gaps[k % gaps.length]!);
        const calls = [s.unsplice(), s.unsplice()];
        await ending;
        const result = await expectOneResult(s, calls, watch);
        expect(['eof', 'unsplice']).toContain(result.reason);
        if (result.reason === 'eof') {
          expect(result.bytes).toBe(x.byteLength);
          await withTimeout(b.peer.ended(), T, 'drain closed at EOF');
          expectBytes(b.peer.received(), x);
        } else await expectConservation({ a, b }, x, result, true);
        add(fig, `reason_${result.reason}`, 1);
        add(fig, 'bytesChecked', x.byteLength);
      }
    });

    scenario('unsplice against max completion', ctx.path, async (fig) => {
      const rnd = prng(seed + 1);
      for (let k = 0; k < rounds; k++) {
        const a = await ctx.side();
        const b = await ctx.side();
        const x = pattern(size(rnd), seed + 10 + k);
        const max = rnd.int(1, x.byteLength);
        const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { max });
        const watch = watchDone(s.done);
        const writing = a.peer.write(x);
        await gap(gaps[k % gaps.length]!);
        const calls = [s.unsplice()];
        const result = await expectOneResult(s, calls, watch);
        expect(['max', 'unsplice']).toContain(result.reason);
        expect(result.bytes).toBeLessThanOrEqual(max);
        if (result.reason === 'max') expect(result.bytes).toBe(max);
        // Written before EOF so the source still holds the rest.
        const rest = drainToEnd(a.endpoint.readable);
        await writing;
        await a.peer.end();
        await withTimeout(b.peer.receivedAtLeast(result.bytes), T, 'drain peer');
        await macrotask();
        expect(b.peer.received().byteLength).toBe(result.bytes);
        expectBytes(concat(b.peer.received(), remainderOf(result), await rest), x, 'received + remainder + source rest');
        add(fig, `reason_${result.reason}`, 1);
        add(fig, 'bytesChecked', x.byteLength);
      }
    });

    scenario('unsplice against idle expiry', ctx.path, async (fig) => {
      const rnd = prng(seed + 2);
      const idle = 40;
      for (let k = 0; k < rounds; k++) {
        const a = await ctx.side();
        const b = await ctx.side();
        const x = pattern(rnd.int(1, 10_000), seed + 20 + k);
        const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { idle });
        const watch = watchDone(s.done);
        await a.peer.write(x);
        await withTimeout(b.peer.receivedAtLeast(x.byteLength), T, 'delivery');
        // Racing a timer is the point: unsplice lands just before, at, or after the deadline.
        await sleep(idle + rnd.int(-15, 15));
        const calls = [s.unsplice()];
        const result = await expectOneResult(s, calls, watch);
        expect(['idle', 'unsplice']).toContain(result.reason);
        expect(result.bytes).toBe(x.byteLength);
        await expectConservation({ a, b }, x, result, false);
        add(fig, `reason_${result.reason}`, 1);
        add(fig, 'bytesChecked', x.byteLength);
      }
    });

    scenario('unsplice against a peer reset', ctx.path, async (fig) => {
      const rnd = prng(seed + 3);
      for (let k = 0; k < rounds; k++) {
        const a = await ctx.side();
        const b = await ctx.side();
        const x = pattern(size(rnd), seed + 30 + k);
        const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
        const watch = watchDone(s.done);
        // Written before the reset: Node 20's resetAndDestroy() sends a FIN while a write is queued.
        await a.peer.write(x);
        if (hooks?.known?.resetOnlyWhenCaughtUp) await until(() => s.bytes >= x.byteLength, T, 'the splice catching up');
        const victim = k % 2 === 0 ? a : b;
        const resetting = victim.peer.reset();
        await gap(gaps[k % gaps.length]!);
        const calls = [s.unsplice(), s.unsplice()];
        const isReset = await resetting;
        const result = await expectOneResult(s, calls, watch);
        expect(['error', 'unsplice']).toContain(result.reason);
        if (result.reason === 'error') expect(isReset(result.error), String(result.error)).toBe(true);
        expect(a.endpoint.readable.locked || b.endpoint.writable.locked).toBe(false);
        expect(b.peer.received().byteLength).toBeLessThanOrEqual(result.bytes);
        expectPrefix(b.peer.received(), x, 'drain peer');
        add(fig, `reason_${result.reason}`, 1);
        add(fig, 'faults', 1);
      }
    });

    scenario("an abort fired from the drain peer's receive callback", ctx.path, async (fig) => {
      const rnd = prng(seed + 4);
      for (let k = 0; k < Math.min(rounds, 3); k++) {
        const a = await ctx.side();
        const b = await ctx.side();
        const ac = new AbortController();
        const send = sender(a.peer, ctx.harness.features.socket ? 2 << 20 : 200_000, seed + 40 + k, 16_384);
        const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { signal: ac.signal });
        const watch = watchDone(s.done);
        void b.peer.receivedAtLeast(rnd.int(1, 100_000)).then(() => ac.abort());
        const result = await expectOneResult(s, [], watch);
        expect(result.reason).toBe('unsplice');
        send.stop();
        const rest = drainToEnd(a.endpoint.readable);
        await withTimeout(send.finished, T, 'sender finishing');
        await a.peer.end();
        await withTimeout(b.peer.receivedAtLeast(result.bytes), T, 'drain peer');
        await macrotask();
        expect(b.peer.received().byteLength).toBe(result.bytes);
        expectBytes(concat(b.peer.received(), await rest), send.sent(), 'received + source rest');
        add(fig, 'bytesChecked', send.sent().byteLength);
      }
    });

    if (hooks?.onSocketWrite) {
      const onSocketWrite = hooks.onSocketWrite;
      scenario("an abort fired inside the drain socket's write call", ctx.path, async (fig) => {
        const rnd = prng(seed + 5);
        for (let k = 0; k < 3; k++) {
          const a = await ctx.side();
          const b = await ctx.side();
          const ac = new AbortController();
          const at = rnd.int(1, 500_000);
          let written = 0;
          onSocketWrite(b.endpoint, (n) => {
            written += n;
            if (written >= at) ac.abort();
          });
          const send = sender(a.peer, 2 << 20, seed + 50 + k, 16_384);
          const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { signal: ac.signal });
          const watch = watchDone(s.done);
          const result = await expectOneResult(s, [], watch);
          expect(result.reason).toBe('unsplice');
          send.stop();
          const rest = drainToEnd(a.endpoint.readable);
          await withTimeout(send.finished, T, 'sender finishing');
          await a.peer.end();
          await withTimeout(b.peer.receivedAtLeast(result.bytes), T, 'drain peer');
          await macrotask();
          expect(b.peer.received().byteLength).toBe(result.bytes);
          expectBytes(concat(b.peer.received(), await rest), send.sent(), 'received + source rest');
          add(fig, 'bytesChecked', send.sent().byteLength);
        }
      });
    }

    scenario('unsplice() twice and from done handlers, on a pair', ctx.path, async (fig) => {
      const a = await ctx.side();
      const b = await ctx.side();
      const p = ctx.pair(a.endpoint, b.endpoint, { max: 100 });
      const watches = [watchDone(p.aToB.done), watchDone(p.bToA.done)];
      // When a -> b reaches max, its done handler unsplices the whole pair (twice).
      const fromHandler = p.aToB.done.then(() => Promise.all([p.unsplice(), p.unsplice(), p.aToB.unsplice()]));
      const y = pattern(60, seed + 61);
      await b.peer.write(y);
      await withTimeout(a.peer.receivedAtLeast(60), T, 'b to a');
      await a.peer.write(pattern(150, seed + 60));
      const [ab, ba] = await withTimeout(p.done, T, 'pair.done');
      const [[h1ab, h1ba], [h2ab, h2ba], h3] = await withTimeout(fromHandler, T, 'unsplice() from the done handler');
      expect(ab).toMatchObject({ reason: 'max', bytes: 100 });
      expect(ba).toMatchObject({ reason: 'unsplice', bytes: 60 });
      for (const r of [h1ab, h2ab, h3]) expect(r).toEqual(ab);
      for (const r of [h1ba, h2ba]) expect(r).toEqual(ba);
      await macrotask();
      expect(watches.map((w) => w.settled)).toEqual([1, 1]);
      expect(a.endpoint.readable.locked || b.endpoint.readable.locked || a.endpoint.writable.locked || b.endpoint.writable.locked).toBe(false);
      await withTimeout(b.peer.receivedAtLeast(100), T, 'a to b');
      expectBytes(b.peer.received(), pattern(150, seed + 60).subarray(0, 100));
      expectBytes(a.peer.received(), y);
      add(fig, 'bytesChecked', 160);
    });
  });
}
