/**
 * Bad input at the core's entry points with real socket endpoints (issue 7;
 * docs/contract.md#starting-a-splice's validation table): every row throws at once with its code, locks
 * nothing, and leaves the sockets open and working for their owner. The
 * table itself over plain streams is test/validation.test.ts; adapter entry
 * points (closed, half-open, destroyed, listening, non-sockets) are in each
 * runtime's entry file.
 */
import { describe, expect } from 'vitest';
import { spliceBidirectional, spliceStreams } from '@sosplice/core';
import type { SpliceEndpoint } from '@sosplice/core';
import type { HarnessFactory, Peer } from '../conformance/_harness';
import { expectBytes, readAtLeast, text, withTimeout, writeOnce } from '../harness/_util';
import { T, type RuntimeHooks } from './_common';
import { add, scenario, section as reportSection } from './_record';
import { section } from './_suite';

/** The rows of docs/contract.md#starting-a-splice's table that a caller can hit with valid streams in hand. */
const rows: Array<[string, unknown, string]> = [
  ['options not an object', 42, 'ERR_INVALID_ARG_TYPE'],
  ['max a string', { max: '10' }, 'ERR_INVALID_ARG_TYPE'],
  ['idle a string', { idle: '10' }, 'ERR_INVALID_ARG_TYPE'],
  ['signal not an AbortSignal', { signal: {} }, 'ERR_INVALID_ARG_TYPE'],
  ['max negative', { max: -1 }, 'ERR_OUT_OF_RANGE'],
  ['max fractional', { max: 1.5 }, 'ERR_OUT_OF_RANGE'],
  ['max NaN', { max: Number.NaN }, 'ERR_OUT_OF_RANGE'],
  ['max above MAX_SAFE_INTEGER', { max: 2 ** 53 }, 'ERR_OUT_OF_RANGE'],
  ['idle negative', { idle: -1 }, 'ERR_OUT_OF_RANGE'],
  ['idle NaN', { idle: Number.NaN }, 'ERR_OUT_OF_RANGE'],
];

/** The socket still works both ways for its owner: nothing locked, nothing destroyed. */
async function expectUsable(side: { endpoint: SpliceEndpoint; peer: Peer }, tag: string): Promise<void> {
  expect(side.endpoint.readable.locked || side.endpoint.writable.locked, 'a stream was left locked').toBe(false);
  const before = side.peer.received().byteLength;
  await withTimeout(writeOnce(side.endpoint.writable, text(tag)), T, 'write after the throw');
  await withTimeout(side.peer.receivedAtLeast(before + tag.length), T, 'peer receiving the write');
  expectBytes(side.peer.received().subarray(before), text(tag));
  await side.peer.write(text(tag));
  expectBytes(await readAtLeast(side.endpoint.readable, tag.length, T), text(tag), 'read after the throw');
}

export function describeBadInput(factory: HarnessFactory, label: string, hooks?: RuntimeHooks): void {
  describe(`${label} bad input`, () => {
    reportSection('Bad input');
    const ctx = section(factory, hooks);

    scenario('the validation table (docs/contract.md) on socket endpoints: coded throw, nothing locked, sockets kept', ctx.path, async (fig) => {
      const a = await ctx.side();
      const b = await ctx.side();
      for (const [what, options, code] of rows) {
        for (const call of [
          () => spliceStreams(a.endpoint.readable, b.endpoint.writable, options as never),
          () => spliceBidirectional(a.endpoint, b.endpoint, options as never),
        ]) {
          let thrown: unknown;
          try {
            call();
          } catch (error) {
            thrown = error;
          }
          expect((thrown as { code?: unknown } | undefined)?.code, `${what}: ${String(thrown)}`).toBe(code);
          add(fig, 'rejectedCalls', 1);
        }
      }
      await expectUsable(a, 'a still works');
      await expectUsable(b, 'b still works');
    });

    scenario('a busy socket stream: ERR_SPLICE_BUSY, the other three streams left unlocked', ctx.path, async (fig) => {
      const a = await ctx.side();
      const b = await ctx.side();
      for (const which of ['a.readable', 'a.writable', 'b.readable', 'b.writable'] as const) {
        const [side, kind] = which.split('.') as ['a' | 'b', 'readable' | 'writable'];
        const stream = (side === 'a' ? a : b).endpoint[kind];
        const holder = kind === 'readable' ? (stream as ReadableStream).getReader() : (stream as WritableStream).getWriter();
        expect(() => spliceBidirectional(a.endpoint, b.endpoint)).toThrow(expect.objectContaining({ code: 'ERR_SPLICE_BUSY' }));
        holder.releaseLock();
        add(fig, 'rejectedCalls', 1);
      }
      // The same socket on both sides of a pair is refused too (it would be spliced twice).
      expect(() => spliceBidirectional(a.endpoint, a.endpoint)).toThrow(expect.objectContaining({ code: 'ERR_SPLICE_BUSY' }));
      await expectUsable(a, 'a still works');
      await expectUsable(b, 'b still works');
    });
  });
}
