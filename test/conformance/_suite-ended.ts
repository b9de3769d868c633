/**
 * SPEC.md 5 for streams that ended before the splice started, or whose
 * close is still under way: WPT's "starts closed" / "starts errored" piping
 * tests (test/wpt/) on each transport's own endpoints, where the state is a
 * socket's and not an in-memory recording's.
 */
import { describe, expect, it } from 'vitest';
import { concat, pattern, remainderOf, text, withTimeout } from '../harness/_util';
import { T, doneOf, expectReleased, expectSourceUsable, type Side, type SuiteContext } from './_suite-context';

/** Closes `side`'s writable through a writer that is then released; awaits the close or not. */
async function closeDrain(side: Side, settled: boolean): Promise<void> {
  const writer = side.endpoint.writable.getWriter();
  const closed = writer.close();
  closed.catch(() => {});
  writer.releaseLock();
  if (settled) await withTimeout(closed, T, 'the drain closing before the splice');
}

/**
 * pipeTo rejects with a TypeError here; so does the splice, on every path
 * (the core keeps a drain that can take nothing off the direct paths).
 * Only a drain still closing (its FIN not yet sent) may reach a direct path,
 * which then reports its transport's own error: the ending and what happens
 * to both streams are the same.
 */
function expectClosedDrainError(ctx: SuiteContext, error: unknown, settled: boolean): void {
  expect(error).toBeInstanceOf(Error);
  if (ctx.harness.features.direct && !settled) return;
  expect(error).toBeInstanceOf(TypeError);
  expect((error as { code?: string }).code).toBe('ERR_INVALID_STATE');
}

export function endedSection(ctx: SuiteContext): void {
  describe('5 Streams ended before the splice (WPT piping: starts closed / errored)', () => {
    for (const settled of [true, false]) {
      const state = settled ? 'closed' : 'closing';

      // Regression (issue 16): into a closed writable the pump re-awaited a
      // fulfilled `ready` forever (desiredSize stays 0), starving the event
      // loop; into a closing one it never noticed the close.
      it(`into a writable already ${state}: 'error' with a TypeError at once, the source cancelled`, async () => {
        const a = await ctx.side();
        const b = await ctx.side();
        await a.peer.write(text('never delivered'));
        await closeDrain(b, settled);
        const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
        const result = await doneOf(s, `done into a ${state} drain`);
        expect(result.reason).toBe('error');
        expectClosedDrainError(ctx, result.error, settled);
        expect(result.bytes).toBe(0);
        expect(s.bytes).toBe(0);
        expectReleased(a.endpoint.readable, b.endpoint.writable);
        await withTimeout(a.peer.aborted(), T, 'source cancelled');
      });

      it(`into a writable already ${state}, with preventCancel: the source keeps every byte`, async () => {
        const a = await ctx.side();
        const b = await ctx.side();
        const x = pattern(500, 160);
        await a.peer.write(x);
        await closeDrain(b, settled);
        const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { preventCancel: true });
        const result = await doneOf(s, `done into a ${state} drain`);
        expect(result.reason).toBe('error');
        expectClosedDrainError(ctx, result.error, settled);
        expect(result.bytes).toBe(0);
        expectReleased(a.endpoint.readable, b.endpoint.writable);
        // A chunk the closing drain refused comes back as the remainder; the rest stays in the source.
        const remainder = remainderOf(result);
        const y = text('next');
        await expectSourceUsable(a, x.subarray(remainder.byteLength), y);
        expect(concat(remainder, x.subarray(remainder.byteLength))).toEqual(x);
      });
    }

    it("from a source already at EOF: 'eof' at once and the writable closed", async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      await a.peer.end();
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      expect(await doneOf(s)).toMatchObject({ reason: 'eof', bytes: 0 });
      await withTimeout(b.peer.ended(), T, 'drain closed');
      expectReleased(a.endpoint.readable, b.endpoint.writable);
    });

    it("from a source already failed: 'error' with its error, and the writable aborted", async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const isResetError = await a.peer.reset();
      // Let the reset reach the source (a socket learns of it asynchronously).
      const reader = a.endpoint.readable.getReader();
      await withTimeout(reader.closed.then(() => {}, () => {}), T, 'source failing');
      reader.releaseLock();
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      const result = await doneOf(s);
      expect(result.reason).toBe('error');
      expect(isResetError(result.error), `not the source's error: ${String(result.error)}`).toBe(true);
      await withTimeout(b.peer.aborted(), T, 'drain aborted');
    });

    it("into a writable already failed: 'error' with its error, and the source cancelled", async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const isResetError = await b.peer.reset();
      const writer = b.endpoint.writable.getWriter();
      await withTimeout(writer.closed.then(() => {}, () => {}), T, 'drain failing');
      writer.releaseLock();
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      const result = await doneOf(s);
      expect(result.reason).toBe('error');
      expect(isResetError(result.error), `not the drain's error: ${String(result.error)}`).toBe(true);
      await withTimeout(a.peer.aborted(), T, 'source cancelled');
    });
  });
}
