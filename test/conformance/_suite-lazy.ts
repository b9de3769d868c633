/**
 * SPEC 6.2, docs/contract.md#direct-dispatch: lazy endpoints. An endpoint
 * may create its streams on first access and carry the direct mark itself;
 * `spliceBidirectional` between two such endpoints of one provider then
 * needs no Web Streams, and nothing else observable changes.
 */
import { describe, expect, it } from 'vitest';
import { spliceBidirectional, spliceStreams, type SpliceEndpoint } from '@sosplice/core';
import { concat, expectBytes, pattern, readAtLeast, remainderOf, text, withTimeout, writeOnce } from '../harness/_util';
import { memoryEndpoint } from '../harness/memory';
import { T, doneOf, expectReceived, type Side, type SuiteContext } from './_suite-context';

/** Counts Web Streams constructed through the globals until `restore()`: what a lazy splice must not do. */
function countStreams(): { readonly created: number; restore(): void } {
  const g = globalThis as unknown as Record<string, new (...args: never[]) => object>;
  const names = ['ReadableStream', 'WritableStream'] as const;
  const originals = names.map((name) => g[name]!);
  let created = 0;
  names.forEach((name, i) => {
    const Original = originals[i]!;
    g[name] = class extends (Original as new (...args: unknown[]) => object) {
      constructor(...args: unknown[]) {
        super(...args);
        created++;
      }
    } as never;
  });
  return {
    get created() {
      return created;
    },
    restore: () => names.forEach((name, i) => void (g[name] = originals[i]!)),
  };
}

const streamsOf = (e: SpliceEndpoint) => [e.readable, e.writable] as const;

function expectBusy(f: () => unknown, what: string): void {
  let thrown: unknown;
  try {
    f();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `${what}: no error thrown`).toBeInstanceOf(TypeError);
  expect((thrown as { code?: unknown }).code, what).toBe('ERR_SPLICE_BUSY');
}

/** Bytes flow both ways through a pair of sides (each peer to the other). */
async function expectFlowing(a: Side, b: Side, seed: number): Promise<void> {
  const x = pattern(3000, seed);
  const y = pattern(2000, seed + 1);
  const before = [b.peer.received().byteLength, a.peer.received().byteLength];
  await a.peer.write(x);
  await b.peer.write(y);
  await withTimeout(b.peer.receivedAtLeast(before[0]! + x.byteLength), T, 'a to b');
  await withTimeout(a.peer.receivedAtLeast(before[1]! + y.byteLength), T, 'b to a');
  expectBytes(b.peer.received().subarray(before[0]), x, 'a to b');
  expectBytes(a.peer.received().subarray(before[1]), y, 'b to a');
}

export function lazySection(ctx: SuiteContext): void {
  describe('6.2 Lazy endpoints', () => {
    it('a splice between two endpoints of one provider creates no Web Streams', async () => {
      // The stream path creates the streams by definition: only a direct harness promises none.
      if (!ctx.harness.features.direct) return;
      const a = await ctx.side();
      const b = await ctx.side();
      const spy = countStreams();
      try {
        const pair = ctx.pair(a.endpoint, b.endpoint);
        await expectFlowing(a, b, 1);
        await a.peer.end();
        expect(await doneOf(pair.aToB)).toMatchObject({ reason: 'eof', bytes: 3000 });
        await withTimeout(b.peer.ended(), T, "the drain's FIN");
        expect(await pair.bToA.unsplice()).toMatchObject({ reason: 'unsplice', bytes: 2000 });
        expect(spy.created, 'Web Streams created by a splice between two lazy endpoints').toBe(0);
      } finally {
        spy.restore();
      }
    });

    it('a stream obtained from a spliced endpoint is locked, and free again after', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const pair = ctx.pair(a.endpoint, b.endpoint);
      for (const [side, e] of [['a', a.endpoint], ['b', b.endpoint]] as const) {
        const [readable, writable] = streamsOf(e);
        expect(readable.locked, `${side}.readable during the splice`).toBe(true);
        expect(writable.locked, `${side}.writable during the splice`).toBe(true);
        expect(() => readable.getReader()).toThrow(TypeError);
        expect(() => writable.getWriter()).toThrow(TypeError);
      }
      await expectFlowing(a, b, 2);
      await pair.unsplice();
      for (const e of [a.endpoint, b.endpoint]) {
        expect(e.readable.locked).toBe(false);
        expect(e.writable.locked).toBe(false);
      }
    });

    it('a second splice on a spliced endpoint throws ERR_SPLICE_BUSY synchronously and takes nothing', async () => {
      const [a, b, c, d] = await Promise.all([ctx.side(), ctx.side(), ctx.side(), ctx.side()]);
      ctx.pair(a.endpoint, b.endpoint);
      expectBusy(() => spliceBidirectional(c.endpoint, a.endpoint), 'endpoint splice onto a spliced endpoint');
      expectBusy(() => spliceBidirectional(a.endpoint, c.endpoint), 'endpoint splice from a spliced endpoint');
      expectBusy(() => spliceStreams(a.endpoint.readable, c.endpoint.writable), 'stream splice from a spliced endpoint');
      expectBusy(() => spliceStreams(c.endpoint.readable, b.endpoint.writable), 'stream splice into a spliced endpoint');
      // Nothing of c or d was taken by the refused calls.
      ctx.pair(c.endpoint, d.endpoint);
      await expectFlowing(c, d, 3);
      await expectFlowing(a, b, 4);
    });

    it('an endpoint whose stream is spliced or locked refuses an endpoint splice, taking nothing', async () => {
      const [a, b, c, d] = await Promise.all([ctx.side(), ctx.side(), ctx.side(), ctx.side()]);
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      expectBusy(() => spliceBidirectional(a.endpoint, c.endpoint), 'a stream-level splice holds a.readable');
      expectBusy(() => spliceBidirectional(c.endpoint, b.endpoint), 'a stream-level splice holds b.writable');
      await s.unsplice();
      const reader = c.endpoint.readable.getReader();
      expectBusy(() => spliceBidirectional(d.endpoint, c.endpoint), 'a reader holds c.readable');
      expectBusy(() => spliceBidirectional(c.endpoint, d.endpoint), 'a reader holds c.readable');
      reader.releaseLock();
      ctx.pair(a.endpoint, b.endpoint);
      ctx.pair(c.endpoint, d.endpoint);
      await expectFlowing(a, b, 5);
      await expectFlowing(c, d, 6);
    });

    for (const when of ['before', 'during', 'after'] as const) {
      it(`after the splice, streams created ${when} it read and write the next bytes in order`, async () => {
        const a = await ctx.side();
        const b = await ctx.side();
        if (when === 'before') [a, b].forEach((s) => streamsOf(s.endpoint));
        const pair = ctx.pair(a.endpoint, b.endpoint, { max: 3000 });
        if (when === 'during') [a, b].forEach((s) => streamsOf(s.endpoint));
        const x = pattern(5000, 7);
        const writing = a.peer.write(x);
        const result = await doneOf(pair.aToB);
        expect(result).toMatchObject({ reason: 'max', bytes: 3000 });
        expect(await pair.bToA.unsplice()).toMatchObject({ reason: 'unsplice', bytes: 0 });
        // The bytes past max stay in a (docs/contract.md#max: a byte stream keeps all of them), read next;
        // b's writable writes after the spliced bytes.
        const remainder = remainderOf(result);
        if (a.byteStream) expect(remainder.byteLength, 'remainder from a byte stream').toBe(0);
        const rest = await readAtLeast(a.endpoint.readable, 2000 - remainder.byteLength, T);
        expectBytes(concat(remainder, rest), x.subarray(3000), 'a.readable after the splice');
        await withTimeout(writing, T, "the peer's write");
        await withTimeout(writeOnce(b.endpoint.writable, text('after')), T, 'write to b after the splice');
        await expectReceived(b, concat(x.subarray(0, 3000), text('after')), 'b after the splice');
        // And the other direction, both streams fresh or not.
        await b.peer.write(text('back'));
        expectBytes(await readAtLeast(b.endpoint.readable, 4, T), text('back'), 'b.readable after the splice');
        await withTimeout(writeOnce(a.endpoint.writable, text('forth')), T, 'write to a after the splice');
        await expectReceived(a, text('forth'), 'a after the splice');
      });
    }

    it('an endpoint spliced with a plain stream pair: the splice runs on the streams', async () => {
      const a = await ctx.side();
      const plain = memoryEndpoint({ impl: 'native', byteStream: true, sourceHighWaterMark: 1 << 20 });
      const pair = ctx.pair(a.endpoint, plain.endpoint);
      expect(a.endpoint.readable.locked && a.endpoint.writable.locked, "a's streams, held by the stream path").toBe(true);
      await expectFlowing(a, { endpoint: plain.endpoint, peer: plain.peer, byteStream: true }, 8);
      const [up, down] = await pair.unsplice();
      expect(up).toMatchObject({ reason: 'unsplice', bytes: 3000 });
      expect(down).toMatchObject({ reason: 'unsplice', bytes: 2000 });
      expect(a.endpoint.readable.locked || a.endpoint.writable.locked).toBe(false);
    });

    it("the ending policy through the leases: a reset aborts the drain; linked idle ends both; the sides are usable after 'idle'", async () => {
      const [a, b, c, d] = await Promise.all([ctx.side(), ctx.side(), ctx.side(), ctx.side()]);
      const failing = ctx.pair(a.endpoint, b.endpoint);
      await expectFlowing(a, b, 9);
      const isReset = await a.peer.reset();
      const result = await doneOf(failing.aToB);
      expect(result.reason).toBe('error');
      expect(isReset(result.error), `not the reset: ${String(result.error)}`).toBe(true);
      await withTimeout(b.peer.aborted(), T, 'the drain aborted after the source reset');

      const idle = ctx.pair(c.endpoint, d.endpoint, { linked: true, idle: 100 });
      await expectFlowing(c, d, 10);
      const [cd, dc] = await withTimeout(idle.done, T, 'linked idle');
      expect([cd.reason, dc.reason]).toEqual(['idle', 'idle']);
      // Released open: what c's peer sends now is read from c.readable, created or not before.
      await c.peer.write(text('after idle'));
      expectBytes(await readAtLeast(c.endpoint.readable, 10, T), text('after idle'), 'c.readable after idle');
    });
  });
}
