/**
 * Properties of docs/contract.md (flow, counting, max, unsplice) over random inputs: chunkings,
 * chunk sizes, `max`, a stalled drain, interleavings and unsplice moments, on
 * byte and default streams, native and polyfill.
 *
 * Invariant: the bytes the drain received, then `remainder`, then what a new
 * reader reads from the source afterwards, are the input, in order; `bytes`
 * equals what the drain received; `max` is never exceeded.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { spliceStreams } from '@sosplice/core';
import type { SpliceResult } from '@sosplice/core';
import { memoryEndpoint } from './harness/memory';
import { concat, expectBytes, macrotask, readToEnd, remainderOf, withTimeout } from './harness/_util';

const T = 5_000;

const scenario = fc
  .record({
    impl: fc.constantFrom('native' as const, 'polyfill' as const),
    byteStream: fc.boolean(),
    chunks: fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { maxLength: 16 }),
    max: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3000 })),
    drainHighWaterMark: fc.integer({ min: 1, max: 2048 }),
    // Per chunk, before writing it: 0 nothing, 1 a microtask, 2 a macrotask (lets the engine run).
    yields: fc.array(fc.constantFrom(0, 1, 2), { minLength: 16, maxLength: 16 }),
    stallAt: fc.option(fc.nat(16), { nil: undefined }),
    resumeAt: fc.option(fc.nat(16), { nil: undefined }),
    unspliceAt: fc.option(fc.nat(16), { nil: undefined }),
    endSource: fc.boolean(),
  })
  .map((s) => ({ ...s, input: concat(...s.chunks) }));

type Scenario = typeof scenario extends fc.Arbitrary<infer S> ? S : never;

async function run(sc: Scenario): Promise<SpliceResult> {
  // A source queue larger than any input: peer writes never block, so the
  // scenario alone decides the interleaving.
  const a = memoryEndpoint({ impl: sc.impl, byteStream: sc.byteStream, sourceHighWaterMark: 1 << 20 });
  const b = memoryEndpoint({ impl: sc.impl, byteStream: sc.byteStream, highWaterMark: sc.drainHighWaterMark });
  const s = spliceStreams(a.endpoint.readable, b.endpoint.writable, { max: sc.max });

  for (const [i, c] of sc.chunks.entries()) {
    if (i === sc.stallAt) b.peer.stall();
    if (i === sc.resumeAt) b.peer.resume();
    if (i === sc.unspliceAt) await withTimeout(s.unsplice(), T, 'unsplice() mid-stream');
    if (sc.yields[i] === 1) await Promise.resolve();
    if (sc.yields[i] === 2) await macrotask();
    await a.peer.write(c);
  }
  if (sc.chunks.length === sc.unspliceAt) await withTimeout(s.unsplice(), T, 'unsplice() at the end');
  if (sc.endSource) await a.peer.end();
  b.peer.resume();
  if (!sc.endSource) await withTimeout(s.unsplice(), T, 'unsplice() to finish');
  const result = await withTimeout(s.done, T, 'done');

  // Counting: the drain gets exactly `bytes`, no more.
  expect(s.bytes).toBe(result.bytes);
  await withTimeout(b.peer.receivedAtLeast(result.bytes), T, `drain receiving ${result.bytes} bytes`);
  await macrotask();
  expect(b.peer.received().byteLength).toBe(result.bytes);

  // max: never exceeded, and exact when it is the reason.
  if (sc.max > 0) expect(result.bytes).toBeLessThanOrEqual(sc.max);
  if (result.reason === 'max') expect(result.bytes).toBe(sc.max);
  if (result.reason === 'eof') expect(result.bytes).toBe(sc.input.byteLength);
  expect(['eof', 'max', 'unsplice']).toContain(result.reason);

  // Only a default source straddling max may return bytes as remainder.
  const remainder = remainderOf(result);
  if (sc.byteStream || result.reason !== 'max') expect(remainder.byteLength).toBe(0);

  // Conservation: received + remainder + the source's rest = input.
  expect(a.endpoint.readable.locked).toBe(false);
  await a.peer.end();
  const rest = await readToEnd(a.endpoint.readable, T);
  expectBytes(concat(b.peer.received(), remainder, rest), sc.input, 'received + remainder + rest');
  return result;
}

describe('splice properties (fast-check)', () => {
  it('conserves every byte, in order, across random chunkings, max, stalls and unsplice moments', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (sc) => void (await run(sc))),
      { numRuns: 150 },
    );
  });

  it('delivers exactly min(max, available) and leaves the rest in the source, for any max', async () => {
    const maxOnly = scenario.map((sc) => ({ ...sc, stallAt: undefined, resumeAt: undefined, unspliceAt: undefined, endSource: true }));
    await fc.assert(
      fc.asyncProperty(maxOnly, async (sc) => {
        const result = await run(sc);
        const available = sc.input.byteLength;
        expect(result.bytes).toBe(sc.max > 0 ? Math.min(sc.max, available) : available);
      }),
      { numRuns: 100 },
    );
  });
});
