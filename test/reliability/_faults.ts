/**
 * Faults over real loopback sockets (issue 7): a peer's RST on either side
 * at random points, a source or drain stream that errors, the proxy closing
 * either socket mid-splice, a drain that stops reading forever.
 *
 * Each ends with the right reason and the original error, with the bytes
 * the far side received equal to (or a prefix of) what the splice provably
 * handed to the drain, and within a bound.
 */
import { describe, expect } from 'vitest';
import type { HarnessFactory } from '../conformance/_harness';
import { concat, expectBytes, macrotask, pattern, remainderOf, until, withTimeout, writeOnce } from '../harness/_util';
import { closeSocket, drainToEnd, expectPrefix, prng, sender, T, type RuntimeHooks } from './_common';
import { add, scenario, section as reportSection } from './_record';
import { section } from './_suite';

/** Random fault points per scenario: enough to land at different moments, few enough for CI. */
const POINTS = 3;
/** Bytes a sender offers at most per fault run. */
const VOLUME = 4 << 20;

export function describeFaults(factory: HarnessFactory, label: string, hooks?: RuntimeHooks, seed = 7): void {
  describe(`${label} faults`, () => {
    reportSection('Faults');
    const ctx = section(factory, hooks);

    scenario('peer RST on the source side at random points', ctx.path, async (fig) => {
      const rnd = prng(seed);
      for (let i = 0; i < POINTS; i++) {
        const preventAbort = i % 2 === 1;
        const a = await ctx.side();
        const b = await ctx.side();
        const send = sender(a.peer, VOLUME, seed * 10 + i);
        const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { preventAbort });
        const at = rnd.int(0, 1 << 20);
        await until(() => s.bytes >= at || send.sent().byteLength === VOLUME, T, `${at} bytes spliced`);
        // The peer's write in flight finishes first: Node 20's resetAndDestroy() sends a FIN,
        // not an RST, while a write is queued (fixed in later Node versions).
        send.stop();
        await withTimeout(send.finished, T, 'sender pausing');
        if (hooks?.known?.resetOnlyWhenCaughtUp) await until(() => s.bytes >= send.sent().byteLength, T, 'the splice catching up');
        const isReset = await a.peer.reset();
        const result = await withTimeout(s.done, T, 'done after the source reset');
        expect(result.reason).toBe('error');
        expect(isReset(result.error), `not the runtime's reset error: ${String(result.error)}`).toBe(true);
        expect(s.bytes).toBe(result.bytes);
        expect(a.endpoint.readable.locked || b.endpoint.writable.locked).toBe(false);
        if (preventAbort) {
          // The drain stays open: everything handed to it reaches its peer, and nothing more.
          await withTimeout(b.peer.receivedAtLeast(result.bytes), T, `drain peer receiving ${result.bytes} bytes`);
          await macrotask();
          expectBytes(b.peer.received(), send.input.subarray(0, result.bytes), 'drain peer after a source reset');
          await writeOnce(b.endpoint.writable, pattern(10, 1));
        } else {
          await withTimeout(b.peer.aborted(), T, 'drain aborted after the source reset');
          expect(b.peer.received().byteLength).toBeLessThanOrEqual(result.bytes);
          expectPrefix(b.peer.received(), send.input, 'drain peer after a source reset');
        }
        add(fig, 'faults', 1);
        add(fig, 'bytesChecked', b.peer.received().byteLength);
      }
    });

    scenario('peer RST on the drain side at random points', ctx.path, async (fig) => {
      const rnd = prng(seed + 1);
      for (let i = 0; i < POINTS; i++) {
        const preventCancel = i % 2 === 1;
        const a = await ctx.side();
        const b = await ctx.side();
        const send = sender(a.peer, VOLUME, seed * 20 + i);
        const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { preventCancel });
        const at = rnd.int(0, 1 << 20);
        await until(() => s.bytes >= at || send.sent().byteLength === VOLUME, T, `${at} bytes spliced`);
        const isReset = await b.peer.reset();
        const result = await withTimeout(s.done, T, 'done after the drain reset');
        expect(result.reason).toBe('error');
        expect(isReset(result.error), `not the runtime's reset error: ${String(result.error)}`).toBe(true);
        expect(s.bytes).toBe(result.bytes);
        expectPrefix(b.peer.received(), send.input, 'drain peer before its reset');
        expect(b.peer.received().byteLength).toBeLessThanOrEqual(result.bytes);
        if (preventCancel) {
          // The source stays open: what the splice did not hand over is read next, in order.
          send.stop();
          const rest = drainToEnd(a.endpoint.readable);
          await withTimeout(send.finished, T, 'sender finishing');
          await a.peer.end();
          // A chunk the splice had read when the drain failed comes back as remainder, ahead of the source.
          expectBytes(concat(remainderOf(result), await rest), send.sent().subarray(result.bytes), 'remainder + source after a drain reset');
          add(fig, 'bytesChecked', send.sent().byteLength);
        } else {
          await withTimeout(a.peer.aborted(), T, 'source cancelled after the drain reset');
          send.stop();
          add(fig, 'bytesChecked', b.peer.received().byteLength);
        }
        add(fig, 'faults', 1);
      }
    });

    scenario('source stream error mid-transfer: original error, drain aborted (or kept with preventAbort)', ctx.path, async (fig) => {
      for (const preventAbort of [false, true]) {
        const b = await ctx.side();
        const boom = new Error('source failed');
        const input = pattern(300_000, seed + 2);
        let at = 0;
        const source = new ReadableStream<Uint8Array>({
          pull(c) {
            if (at >= input.byteLength) return c.error(boom);
            c.enqueue(input.slice(at, at + 16_384));
            at += 16_384;
          },
        });
        const s = ctx.splice(source, b.endpoint.writable, { preventAbort });
        const result = await withTimeout(s.done, T, 'done after the source error');
        // Chunks the engine held when the error came may be dropped, as pipeTo drops them; bytes says how many went.
        expect(result).toMatchObject({ reason: 'error', error: boom });
        expect(result.bytes).toBeLessThanOrEqual(input.byteLength);
        expect(b.endpoint.writable.locked).toBe(false);
        if (preventAbort) {
          await withTimeout(b.peer.receivedAtLeast(result.bytes), T, 'drain peer receiving everything handed over');
          await macrotask();
          expectBytes(b.peer.received(), input.subarray(0, result.bytes), 'drain peer after a source error');
        } else {
          await withTimeout(b.peer.aborted(), T, 'drain aborted');
          expectPrefix(b.peer.received(), input, 'drain peer after a source error');
        }
        add(fig, 'faults', 1);
        add(fig, 'bytesChecked', b.peer.received().byteLength);
      }
    });

    scenario('drain stream error mid-transfer: original error, source cancelled (or readable with preventCancel)', ctx.path, async (fig) => {
      for (const preventCancel of [false, true]) {
        const a = await ctx.side();
        const boom = new Error('drain failed');
        const accepted: Uint8Array[] = [];
        let taken = 0;
        const drain = new WritableStream<Uint8Array>({
          write(chunk) {
            if (taken + chunk.byteLength > 100_000) throw boom;
            taken += chunk.byteLength;
            accepted.push(chunk.slice());
          },
        });
        const send = sender(a.peer, 1 << 20, seed + 3);
        const s = ctx.splice(a.endpoint.readable, drain, { preventCancel });
        const result = await withTimeout(s.done, T, 'done after the drain error');
        expect(result).toMatchObject({ reason: 'error', error: boom });
        expect(a.endpoint.readable.locked).toBe(false);
        const got = concat(...accepted);
        expect(got.byteLength).toBeLessThanOrEqual(result.bytes);
        if (preventCancel) {
          send.stop();
          const rest = drainToEnd(a.endpoint.readable);
          await withTimeout(send.finished, T, 'sender finishing');
          await a.peer.end();
          const all = send.sent();
          expectBytes(got, all.subarray(0, got.byteLength), 'drain sink');
          // Past `bytes`, nothing is lost: a chunk read but not taken is `remainder`, the rest is in the source.
          expectBytes(concat(remainderOf(result), await rest), all.subarray(result.bytes), 'remainder + source after a drain error');
          add(fig, 'bytesChecked', all.byteLength);
        } else {
          await withTimeout(a.peer.aborted(), T, 'source cancelled');
          send.stop();
          expectPrefix(got, send.input, 'drain sink');
          add(fig, 'bytesChecked', got.byteLength);
        }
        add(fig, 'faults', 1);
      }
    });

    scenario('the proxy closes the source socket mid-splice', ctx.path, async (fig) => {
      const a = await ctx.side();
      const b = await ctx.side();
      const send = sender(a.peer, VOLUME, seed + 4);
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      await until(() => s.bytes >= 256 << 10, T, 'transfer under way');
      await withTimeout(closeSocket(a.endpoint), T, 'close() of the source socket');
      const result = await withTimeout(s.done, T, 'done after the source socket closed');
      send.stop();
      // A close we made ends the source like an EOF, or fails it: either way no hang, no lock.
      expect(['eof', 'error']).toContain(result.reason);
      expect(a.endpoint.readable.locked || b.endpoint.writable.locked).toBe(false);
      if (result.reason === 'eof') {
        await withTimeout(b.peer.ended(), T, 'drain closed after EOF');
        expectBytes(b.peer.received(), send.input.subarray(0, result.bytes), 'drain peer');
      } else expectPrefix(b.peer.received(), send.input, 'drain peer');
      fig.reason_eof = Number(result.reason === 'eof');
      add(fig, 'faults', 1);
      add(fig, 'bytesChecked', b.peer.received().byteLength);
    });

    scenario('the proxy closes the drain socket mid-splice', ctx.path, async (fig) => {
      const a = await ctx.side();
      const b = await ctx.side();
      const send = sender(a.peer, VOLUME, seed + 5);
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      await until(() => s.bytes >= 256 << 10, T, 'transfer under way');
      await withTimeout(closeSocket(b.endpoint), T, 'close() of the drain socket');
      const result = await withTimeout(s.done, T, 'done after the drain socket closed');
      expect(result.reason).toBe('error');
      expect((result.error as { code?: unknown } | undefined)?.code, `error without a code: ${String(result.error)}`).toBeTypeOf('string');
      expect(a.endpoint.readable.locked || b.endpoint.writable.locked).toBe(false);
      await withTimeout(a.peer.aborted(), T, 'source cancelled');
      send.stop();
      expectPrefix(b.peer.received(), send.input, 'drain peer');
      expect(b.peer.received().byteLength).toBeLessThanOrEqual(result.bytes);
      add(fig, 'faults', 1);
      add(fig, 'bytesChecked', b.peer.received().byteLength);
    });

    for (const ending of ['idle', 'unsplice'] as const) {
      scenario(`a drain that stops reading forever: ends by ${ending}, every byte accounted for`, ctx.path, async (fig) => {
        const a = await ctx.side();
        const b = await ctx.side();
        b.peer.stall();
        const send = sender(a.peer, 32 << 20, seed + 6);
        const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, ending === 'idle' ? { idle: 300 } : {});
        let result;
        if (ending === 'idle') {
          result = await withTimeout(s.done, 30_000, 'idle with a stalled drain');
        } else {
          // Wait until the splice stops making progress: the drain's buffers are full.
          let last = -1;
          for (let i = 0; i < 200 && s.bytes !== last; i++) {
            last = s.bytes;
            await new Promise((r) => setTimeout(r, 50));
          }
          result = await withTimeout(s.unsplice(), T, 'unsplice with a stalled drain');
        }
        expect(result.reason).toBe(ending);
        expect(a.endpoint.readable.locked || b.endpoint.writable.locked).toBe(false);
        // Let the drain read again: exactly the handed bytes arrive; the rest is still in the source.
        send.stop();
        b.peer.resume();
        const rest = drainToEnd(a.endpoint.readable, 30_000);
        await withTimeout(send.finished, 30_000, 'sender finishing');
        await a.peer.end();
        await withTimeout(b.peer.receivedAtLeast(result.bytes), 30_000, `drain peer receiving ${result.bytes} bytes`);
        await macrotask();
        const all = send.sent();
        expectBytes(concat(b.peer.received(), await rest), all, 'drain peer + source after the stall');
        expect(b.peer.received().byteLength).toBe(result.bytes);
        fig.bytesHeldByStall = result.bytes;
        add(fig, 'bytesChecked', all.byteLength);
      }, 60_000);
    }
  });
}
