/**
 * The Bun test harness itself: a raw peer must never leave a promise
 * unsettled, or a test waiting on it hangs until its timeout.
 */
import { describe, expect, it } from 'vitest';
import { BunLoopback } from '../harness/bun';
import { pattern, until, withTimeout } from '../harness/_util';

const T = 10_000;

describe('bun harness RawPeer', () => {
  it('a peer.write in flight when its socket closes rejects (Peer.write: resolves only once handed over)', async () => {
    // Regression: onClose emptied the outgoing queue without settling the writes in it.
    const loop = new BunLoopback({ direct: false });
    try {
      const { endpoint, peer } = await loop.pair();
      // Nobody reads the endpoint: it pauses at its high-water mark and the kernel buffers fill.
      const writing = peer.write(pattern(64 << 20, 1));
      const ending = peer.end();
      await until(() => endpoint.readableBuffered > 0, T, 'endpoint reading');
      endpoint.socket.terminate();
      const error = await withTimeout(writing.then(() => undefined, (e: unknown) => e), T, 'the pending write');
      expect(error).toBeInstanceOf(Error);
      expect((error as { code?: unknown }).code).toMatch(/^(ERR_|E)[A-Z_]+$/);
      await expect(withTimeout(ending, T, 'end() after the pending write')).rejects.toBe(error);
    } finally {
      await loop.dispose();
    }
  });
});
