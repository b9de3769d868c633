/**
 * Runtime failures through the Deno adapter (docs/contract.md#how-a-splice-ends, 6): a reset on either
 * side of a bidirectional splice ends both directions with reason 'error'
 * and Deno's own error (class and code kept), without hanging, on both paths.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spliceBidirectional, spliceStreams } from '@sosplice/core';
import { pattern, withTimeout } from '../harness/_util';
import { sendRst } from '../harness/deno';
import { proxySides, readExactly, T, writeFull, type ProxySides } from './_util';

let open: ProxySides[] = [];
async function sides(direct: boolean): Promise<ProxySides> {
  const s = await proxySides(direct);
  open.push(s);
  return s;
}
afterEach(async () => {
  for (const s of open) await s.loop.dispose();
  open = [];
});

const errorName = (e: unknown): string => (e as Error | undefined)?.name ?? String(e);
const errorCode = (e: unknown): unknown => (e as { code?: unknown } | undefined)?.code;

describe.each([
  ['direct', true],
  ['generic', false],
] as const)('deno %s path', (_, direct) => {
  for (const side of ['client', 'server'] as const) {
    it(`an RST from the ${side} ends both directions with 'error' and Deno's error, no hang`, async () => {
      const { a, b, client, server } = await sides(direct);
      const pair = spliceBidirectional(a, b);
      // Traffic first, so the reset hits a working proxy.
      await writeFull(client.conn, pattern(10_000, 1));
      await readExactly(server.conn, 10_000);
      const victim = side === 'client' ? client : server;
      sendRst(victim.conn);
      victim.close();
      const [up, down] = await withTimeout(pair.done, T, 'both directions end after a reset');
      const resetSide = side === 'client' ? up : down; // the direction whose source was reset
      expect(resetSide.reason).toBe('error');
      expect(errorName(resetSide.error)).toBe('ConnectionReset');
      expect(errorCode(resetSide.error)).toBe('ECONNRESET');
      expect(resetSide.error).toBeInstanceOf(Error);
      const other = side === 'client' ? down : up;
      expect(other.reason).toBe('error');
      // The reset conn rejects `closed` with the same runtime error.
      const reset = side === 'client' ? a : b;
      await expect(withTimeout(reset.closed, T, 'closed')).rejects.toBe(resetSide.error);
    });
  }

  it('a reset drain surfaces on the next write with BrokenPipe / ConnectionReset, keeping the code', async () => {
    const { a, b, client, server } = await sides(direct);
    const s = spliceStreams(a.readable, b.writable);
    sendRst(server.conn);
    server.close();
    await writeFull(client.conn, pattern(100_000, 2)).catch(() => {});
    const result = await withTimeout(s.done, T, 'drain error');
    expect(result.reason).toBe('error');
    expect(['ConnectionReset', 'BrokenPipe']).toContain(errorName(result.error));
    expect(['ECONNRESET', 'EPIPE']).toContain(errorCode(result.error));
  });
});
