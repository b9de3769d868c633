/**
 * SPEC.md 5 and 6, "a reset travels": when a splice ends because one socket
 * was reset, the socket on the other side is reset too (RST, not FIN), so a
 * truncated transfer never looks complete to its far peer. Sockets only;
 * where the transport has no RST (Unix) the far peer must at least see its
 * socket destroyed.
 */
import { describe, expect, it } from 'vitest';
import { pattern, until, withTimeout } from '../harness/_util';
import { T, doneOf, type Side, type SuiteContext } from './_suite-context';

/** Keeps `side.peer` writing until stopped (a long upload or download). */
function keepSending(side: Side, seed: number): { stop(): Promise<void> } {
  const chunk = pattern(64 << 10, seed);
  let stopped = false;
  const pump = (async () => {
    while (!stopped) await side.peer.write(chunk);
  })().catch(() => {});
  return {
    stop: () => {
      stopped = true;
      return pump;
    },
  };
}

/** The far peer of `side` saw its socket reset (or, without RSTs, destroyed). */
async function expectResetSeen(ctx: SuiteContext, side: Side, what: string): Promise<void> {
  if (ctx.harness.features.resets) {
    expect(await withTimeout(side.peer.closing!(), T, `${what}: the far peer seeing its socket end`), `${what}: a clean FIN instead of an RST`).toBe('reset');
  } else {
    await withTimeout(side.peer.aborted(), T, `${what}: the far peer's socket destroyed`);
  }
}

export function resetsSection(ctx: SuiteContext): void {
  describe('5 A reset travels', () => {
    it('a source reset mid-download resets the drain: its peer sees ECONNRESET, not a clean end', async () => {
      if (!ctx.harness.features.socket) return; // in-memory: the abort itself is tested in 5
      const a = await ctx.side();
      const b = await ctx.side();
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      const sender = keepSending(a, 120);
      await until(() => s.bytes >= 256 << 10, T, 'transfer under way');
      await sender.stop();
      const isReset = await a.peer.reset();
      const result = await doneOf(s, 'done after the source reset');
      expect(result.reason).toBe('error');
      expect(isReset(result.error), `not the runtime's reset error: ${String(result.error)}`).toBe(true);
      await expectResetSeen(ctx, b, 'drain');
    });

    it('a drain reset mid-upload resets the source: its peer sees ECONNRESET, not a clean end', async () => {
      if (!ctx.harness.features.socket) return;
      const a = await ctx.side();
      const b = await ctx.side();
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      const sender = keepSending(a, 121);
      await until(() => s.bytes >= 256 << 10, T, 'transfer under way');
      const isReset = await b.peer.reset();
      const result = await doneOf(s, 'done after the drain reset');
      await sender.stop();
      expect(result.reason).toBe('error');
      expect(isReset(result.error), `not the runtime's reset error: ${String(result.error)}`).toBe(true);
      await expectResetSeen(ctx, a, 'source');
    });

    it('a bidirectional splice passes a reset on to the other socket', async () => {
      if (!ctx.harness.features.socket) return;
      const client = await ctx.side();
      const upstream = await ctx.side();
      const pair = ctx.pair(client.endpoint, upstream.endpoint);
      const sender = keepSending(upstream, 122);
      await until(() => pair.bToA.bytes >= 256 << 10, T, 'download under way');
      await sender.stop();
      await upstream.peer.reset();
      const down = await doneOf(pair.bToA, 'download done after the upstream reset');
      expect(down.reason).toBe('error');
      await expectResetSeen(ctx, client, 'client');
    });
  });
}
