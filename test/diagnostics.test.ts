/**
 * docs/observability.md: every splice's start and end on
 * node:diagnostics_channel, on every runtime, through this runtime's adapter
 * (direct and stream path, over loopback TCP) and over in-memory streams.
 */
import diagnostics from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { spliceBidirectional, spliceStreams, type SpliceDiagnosticsMessage } from '@sosplice/core';
import type { HarnessFactory } from './conformance/_harness';
import { memoryEndpoint } from './harness/memory';
import { kitEndpoint } from './harness/kit';
import { text } from './harness/_util';

const g = globalThis as { Bun?: unknown; Deno?: unknown };
const runtime = g.Deno ? 'deno' : g.Bun ? 'bun' : 'node';

async function adapterHarness(direct: boolean): Promise<HarnessFactory> {
  if (runtime === 'bun') return (await import('./harness/bun')).bunHarness({ direct, transport: 'tcp' });
  if (runtime === 'deno') return (await import('./harness/deno')).denoHarness({ direct, transport: 'tcp' });
  return (await import('./harness/node')).nodeHarness({ direct, transport: 'tcp' });
}

/** Collects what both channels publish until the test ends. */
function listen() {
  const starts: SpliceDiagnosticsMessage[] = [];
  const ends: SpliceDiagnosticsMessage[] = [];
  const onStart = (m: unknown) => starts.push({ ...(m as SpliceDiagnosticsMessage) });
  const onEnd = (m: unknown) => ends.push(m as SpliceDiagnosticsMessage);
  diagnostics.subscribe('sosplice:splice:start', onStart);
  diagnostics.subscribe('sosplice:splice:end', onEnd);
  stops.push(() => {
    diagnostics.unsubscribe('sosplice:splice:start', onStart);
    diagnostics.unsubscribe('sosplice:splice:end', onEnd);
  });
  return { starts, ends };
}
const stops: Array<() => void> = [];
afterEach(() => stops.splice(0).forEach((stop) => stop()));

describe('diagnostics channels', () => {
  it('publish nothing for a splice that started while nobody subscribed', async () => {
    const before = diagnostics.channel('sosplice:splice:start').hasSubscribers;
    expect(before).toBe(false);
    const { endpoint: a, peer } = memoryEndpoint({ impl: 'native', byteStream: true });
    const { endpoint: b } = memoryEndpoint({ impl: 'native', byteStream: true });
    const splice = spliceStreams(a.readable, b.writable);
    const { starts } = listen(); // subscribed after the start: this splice stays unobserved
    await peer.end();
    await splice.done;
    expect(starts).toEqual([]);
  });

  it('in memory: start and end of a one-way splice, stream path, result and duration', async () => {
    const { starts, ends } = listen();
    const { endpoint: a, peer } = memoryEndpoint({ impl: 'native', byteStream: true });
    const { endpoint: b } = memoryEndpoint({ impl: 'native', byteStream: true });
    const splice = spliceStreams(a.readable, b.writable, { max: 3, idle: 5000 });
    expect(starts).toHaveLength(1);
    expect(starts[0]).toMatchObject({ path: 'stream', max: 3, idle: 5000, readable: a.readable, writable: b.writable });
    expect(starts[0]!.splice).toBe(splice);
    await peer.write(text('hello'));
    const result = await splice.done;
    await Promise.resolve();
    expect(ends).toHaveLength(1);
    expect(ends[0]!.result).toEqual(result);
    expect(ends[0]!.result).toMatchObject({ reason: 'max', bytes: 3 });
    expect(ends[0]!.durationMs).toBeGreaterThanOrEqual(0);
  });

  for (const direct of [true, false]) {
    it(`${runtime} adapter, ${direct ? 'direct' : 'stream'} path: both directions with addresses, path, reason and bytes`, async () => {
      const harness = await (await adapterHarness(direct))();
      stops.push(() => void harness.dispose());
      const [{ endpoint: a, peer: pa }, { endpoint: b, peer: pb }] = await Promise.all([harness.endpoint(), harness.endpoint()]);
      const { starts, ends } = listen();
      const pair = spliceBidirectional(a, b, { idle: 10_000 });
      expect(starts.map((m) => m.path)).toEqual(direct ? ['direct', 'direct'] : ['stream', 'stream']);
      expect(starts[0]!.source).toBe(a);
      expect(starts[0]!.drain).toBe(b);
      for (const m of starts) {
        expect(m.sourceAddresses?.local).toMatch(/^127\.0\.0\.1:\d+$/);
        expect(m.sourceAddresses?.remote).toMatch(/^127\.0\.0\.1:\d+$/);
        expect(m.drainAddresses?.remote).toMatch(/^127\.0\.0\.1:\d+$/);
      }
      await pa.write(text('ping'));
      await pb.write(text('pong!'));
      await Promise.all([pa.end(), pb.end()]);
      await pair.done;
      await Promise.resolve();
      expect(ends.map((m) => [m.source === a ? 'aToB' : 'bToA', m.result?.reason, m.result?.bytes]).sort()).toEqual([
        ['aToB', 'eof', 4],
        ['bToA', 'eof', 5],
      ]);
      for (const m of ends) expect(m.durationMs).toBeGreaterThanOrEqual(0);
    });
  }

  it('lazy endpoints (docs/contract.md#lazy-endpoints): the direct path through leases publishes the endpoints and no streams', async () => {
    const { starts, ends } = listen();
    const a = kitEndpoint({ direct: true });
    const b = kitEndpoint({ direct: true });
    const pair = spliceBidirectional(a.endpoint, b.endpoint);
    expect(starts.map((m) => m.path)).toEqual(['direct', 'direct']);
    expect(starts[0]).toMatchObject({ source: a.endpoint, drain: b.endpoint });
    expect(starts[0]!.readable).toBeUndefined();
    expect(starts[0]!.writable).toBeUndefined();
    await a.peer.end();
    await b.peer.end();
    await pair.done;
    await Promise.resolve();
    expect(ends.map((m) => m.result?.reason)).toEqual(['eof', 'eof']);
    // One side a plain stream pair: the stream path, with the streams it ran on.
    const plain = memoryEndpoint({ impl: 'native', byteStream: true });
    const mixed = spliceBidirectional(a.endpoint, plain.endpoint);
    expect(starts.slice(2).map((m) => [m.path, m.readable === a.endpoint.readable || m.readable === plain.endpoint.readable])).toEqual([
      ['stream', true],
      ['stream', true],
    ]);
    await mixed.unsplice();
  });
});
