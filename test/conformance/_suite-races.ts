/**
 * docs/contract.md#unsplice and 5 at their edges: endings that race each other, a drain
 * failing while stalled, reads in flight on the BYOB path, and the cleanup
 * every ending owes (no abort listener left on a signal).
 */
import { describe, expect, it } from 'vitest';
import { chunk, concat, expectBytes, macrotask, pattern, readAtLeast, stillPendingAfter, text, until, withTimeout } from '../harness/_util';
import { T, doneOf, expectDrainUsable, expectReleased, expectSourceUsable, writeAll, type SuiteContext } from './_suite-context';

/** An AbortSignal that counts its live abort listeners. */
function countedSignal(): { signal: AbortSignal; abort: () => void; listeners: () => number } {
  const controller = new AbortController();
  const { signal } = controller;
  const live = new Set<unknown>();
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((type: string, listener: unknown, options?: unknown) => {
    if (type === 'abort') live.add(listener);
    add(type, listener as EventListener, options as AddEventListenerOptions);
  }) as typeof signal.addEventListener;
  signal.removeEventListener = ((type: string, listener: unknown, options?: unknown) => {
    if (type === 'abort') live.delete(listener);
    remove(type, listener as EventListener, options as EventListenerOptions);
  }) as typeof signal.removeEventListener;
  return { signal, abort: () => controller.abort(), listeners: () => live.size };
}

export function racesSection(ctx: SuiteContext): void {
  describe('4.5 / 5 Races and cleanup', () => {
    it('abandons a BYOB read in flight (max set) without losing its data', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { max: 1000 });
      await macrotask();
      expect(await withTimeout(s.unsplice(), T, 'unsplice()')).toMatchObject({ reason: 'unsplice', bytes: 0 });
      expectReleased(a.endpoint.readable, b.endpoint.writable);
      await expectSourceUsable(a, new Uint8Array(0), text('arrived after a BYOB read was abandoned'));
      expect(b.peer.received().byteLength).toBe(0);
    });

    it('ends at max at once when exactly max bytes arrive and the source stays open', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { max: 64 });
      await a.peer.write(pattern(64, 100));
      expect(await doneOf(s, "done at exactly max, without another read")).toMatchObject({ reason: 'max', bytes: 64 });
      expectReleased(a.endpoint.readable, b.endpoint.writable);
      await expectSourceUsable(a, new Uint8Array(0), text('next'));
    });

    it("an unsplice racing EOF reports 'eof' and closes the drain, or reports 'unsplice' and leaves it open", async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const x = pattern(100, 101);
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      await a.peer.write(x);
      await withTimeout(b.peer.receivedAtLeast(x.byteLength), T, 'delivery');
      const ending = a.peer.end();
      const result = await withTimeout(s.unsplice(), T, 'unsplice() racing eof');
      await ending;
      expect(result.bytes).toBe(x.byteLength);
      expect(['eof', 'unsplice']).toContain(result.reason);
      if (result.reason === 'eof') await withTimeout(b.peer.ended(), T, "the drain closed after 'eof'");
      else await expectDrainUsable(b, x.byteLength, text("open after 'unsplice'"));
    });

    it("a drain failing while stalled ends the splice with 'error' and cancels the source", async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      b.peer.stall();
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      const writing = writeAll(a.peer, chunk(pattern(256 * 1024, 102), Array(64).fill(4096)));
      writing.catch(() => {});
      await until(() => s.bytes > 0, T, 'bytes handed to the stalled drain');
      const isResetError = await b.peer.reset();
      const result = await doneOf(s);
      expect(result.reason).toBe('error');
      expect(isResetError(result.error), `not the drain's error: ${String(result.error)}`).toBe(true);
      await withTimeout(a.peer.aborted(), T, 'source cancelled');
      expectReleased(a.endpoint.readable, b.endpoint.writable);
    });

    it("with preventClose, 'eof' does not wait for a stalled drain either", async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const x = pattern(300, 105);
      const y = text('after the eof');
      b.peer.stall();
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { preventClose: true });
      await a.peer.write(x);
      await a.peer.end();
      expect(await doneOf(s, 'done at eof with preventClose and a stalled drain')).toMatchObject({ reason: 'eof', bytes: x.byteLength });
      expectReleased(a.endpoint.readable, b.endpoint.writable);
      const writer = b.endpoint.writable.getWriter();
      const written = writer.write(y);
      written.catch(() => {});
      b.peer.resume();
      await withTimeout(written, T, 'write after the eof');
      writer.releaseLock();
      await withTimeout(b.peer.receivedAtLeast(x.byteLength + y.byteLength), T, 'x then y');
      expectBytes(b.peer.received(), concat(x, y));
    });

    it("a source error does not wait for a stalled drain; the abort reaches the drain after what was handed to it", async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const x = pattern(300, 106);
      b.peer.stall();
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      await a.peer.write(x);
      await until(() => s.bytes === x.byteLength, T, 'x handed to the stalled drain');
      const isResetError = await a.peer.reset();
      const result = await doneOf(s, "done at 'error' with a stalled drain");
      expect(result.reason).toBe('error');
      expect(isResetError(result.error)).toBe(true);
      expectReleased(a.endpoint.readable, b.endpoint.writable);
      b.peer.resume();
      await withTimeout(b.peer.aborted(), T, 'drain aborted');
    });

    it("an idle timeout during the eof close leaves the reason 'eof'", async () => {
      // Needs a close that can be held back longer than idle: in-memory only.
      if (ctx.harness.features.socket) return;
      const a = await ctx.side();
      const b = await ctx.side();
      const x = pattern(200, 107);
      b.peer.stall();
      await a.peer.write(x);
      await a.peer.end();
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { idle: 30 });
      // Hold the close for several idle periods; "nothing happened" needs a bounded wait.
      expect(await stillPendingAfter(s.done, 100), 'done settled while the close was held').toBe(true);
      b.peer.resume();
      expect(await doneOf(s)).toMatchObject({ reason: 'eof', bytes: x.byteLength });
      await withTimeout(b.peer.ended(), T, 'drain closed');
    });

    it('removes its abort listener from the signal whatever the ending', async () => {
      const endings = ['eof', 'max', 'idle', 'unsplice', 'error', 'signal'] as const;
      for (const ending of endings) {
        const a = await ctx.side();
        const b = await ctx.side();
        const counted = countedSignal();
        const options = { signal: counted.signal, ...(ending === 'max' ? { max: 3 } : {}), ...(ending === 'idle' ? { idle: 50 } : {}) };
        const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, options);
        if (ending === 'eof') await a.peer.end();
        if (ending === 'max') await a.peer.write(pattern(3, 103));
        if (ending === 'unsplice') await s.unsplice();
        if (ending === 'error') await a.peer.reset();
        if (ending === 'signal') counted.abort();
        const result = await doneOf(s, `done by ${ending}`);
        expect(result.reason).toBe(ending === 'signal' ? 'unsplice' : ending);
        expect(counted.listeners(), `abort listener left after '${ending}'`).toBe(0);
      }
    });

    it('ignores a signal aborted after the splice ended', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const abort = new AbortController();
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { signal: abort.signal, preventClose: true });
      await a.peer.write(pattern(5, 104));
      await a.peer.end();
      const result = await doneOf(s);
      abort.abort();
      await macrotask();
      expect(await s.unsplice()).toEqual(result);
      expect(result.reason).toBe('eof');
      await expectDrainUsable(b, 5, text('untouched by the late abort'));
      expect(await readAtLeast(a.endpoint.readable, 0)).toHaveLength(0);
    });
  });
}
