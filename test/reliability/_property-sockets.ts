/**
 * The property test of test/property.test.ts, over real loopback sockets
 * (issue 7): random write sizes, delays between writes, `max`, `idle`, an
 * unsplice moment and whether the source ends, in bounded runs.
 *
 * Invariant: every byte sent is either received by the far side (exactly
 * `bytes` of them) or, with `remainder` first, readable from the source
 * afterwards, in order; `splice.bytes` equals the result's.
 */
import { describe, expect } from 'vitest';
import fc from 'fast-check';
import type { HarnessFactory } from '../conformance/_harness';
import { concat, expectBytes, macrotask, remainderOf, sleep, withTimeout } from '../harness/_util';
import { drainToEnd, T, type RuntimeHooks } from './_common';
import { add, scenario, section as reportSection } from './_record';
import { section } from './_suite';

const scenarioArb = fc.record({
  chunks: fc.array(fc.integer({ min: 1, max: 65_536 }), { minLength: 1, maxLength: 24 }),
  // Per chunk, before writing it: 0 nothing, 1 a macrotask, 2..6 that many ms.
  delays: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 24, maxLength: 24 }),
  max: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 600_000 })),
  idle: fc.oneof(fc.constant(0), fc.integer({ min: 3, max: 300 })),
  unspliceAt: fc.option(fc.nat(24), { nil: undefined }),
  endSource: fc.boolean(),
  seed: fc.nat(1000),
});

function replay(): { seed?: number; path?: string; numRuns?: number } {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
  const runs = env.SOSPLICE_FC_RUNS === undefined ? {} : { numRuns: Number(env.SOSPLICE_FC_RUNS) };
  return env.SOSPLICE_FC_SEED === undefined ? runs : { ...runs, seed: Number(env.SOSPLICE_FC_SEED), path: env.SOSPLICE_FC_PATH };
}

export function describePropertySockets(factory: HarnessFactory, label: string, hooks?: RuntimeHooks, numRuns = 25): void {
  describe(`${label} property over sockets`, () => {
    reportSection('Property over sockets');
    const ctx = section(factory, hooks);

    scenario('random writes, delays, max, idle and unsplice moments conserve every byte', ctx.path, async (fig) => {
      await fc.assert(
        fc.asyncProperty(scenarioArb, async (sc) => {
          const a = await ctx.side();
          const b = await ctx.side();
          const sizes = sc.chunks;
          const input = new Uint8Array(sizes.reduce((s, n) => s + n, 0));
          for (let i = 0; i < input.byteLength; i++) input[i] = (i * 7 + sc.seed) & 0xff;
          const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { max: sc.max, idle: sc.idle });
          const writing = (async () => {
            let at = 0;
            for (const [i, n] of sizes.entries()) {
              const d = sc.delays[i]!;
              if (d === 1) await macrotask();
              else if (d > 1) await sleep(d);
              if (i === sc.unspliceAt) await withTimeout(s.unsplice(), T, 'unsplice() mid-stream');
              await a.peer.write(input.subarray(at, at + n));
              at += n;
            }
            if (sc.endSource) await a.peer.end();
          })();
          // Without EOF the splice ends by max, idle, or our unsplice once everything was written.
          const ending = sc.endSource ? s.done : Promise.race([s.done, writing.then(() => s.unsplice())]);
          const result = await withTimeout(ending, 30_000, 'the splice ending');
          expect(['eof', 'max', 'idle', 'unsplice']).toContain(result.reason);
          if (sc.max > 0) expect(result.bytes).toBeLessThanOrEqual(sc.max);
          if (result.reason === 'max') expect(result.bytes).toBe(sc.max);
          if (result.reason === 'eof') expect(result.bytes).toBe(input.byteLength);
          expect(a.endpoint.readable.locked || b.endpoint.writable.locked).toBe(false);
          // Read the rest while the writer may still be blocked on a full source.
          const rest = drainToEnd(a.endpoint.readable, 30_000);
          await withTimeout(writing, 30_000, 'writer finishing');
          if (!sc.endSource) await a.peer.end();
          await withTimeout(b.peer.receivedAtLeast(result.bytes), T, `drain peer receiving ${result.bytes} bytes`);
          await macrotask();
          expect(s.bytes).toBe(result.bytes);
          expect(b.peer.received().byteLength).toBe(result.bytes);
          expectBytes(concat(b.peer.received(), remainderOf(result), await rest), input, 'received + remainder + source rest');
          add(fig, 'runs', 1);
          add(fig, 'bytesChecked', input.byteLength);
          add(fig, `reason_${result.reason}`, 1);
        }),
        // Replaying a reported failure: SOSPLICE_FC_SEED=<seed> SOSPLICE_FC_PATH=<path>; more runs: SOSPLICE_FC_RUNS.
        { numRuns, endOnFailure: true, ...replay() },
      );
    }, 120_000);
  });
}
