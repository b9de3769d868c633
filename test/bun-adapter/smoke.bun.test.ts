import { describe, expect, it } from 'vitest';
import { spliceStreams, spliceBidirectional } from '@sosplice/core';
import { BunLoopback } from '../harness/bun';
import { pattern, expectBytes, readAtLeast } from '../harness/_util';

for (const direct of [true, false]) {
  describe(`smoke ${direct ? 'direct' : 'generic'}`, () => {
    it('moves bytes and half-closes', async () => {
      const loop = new BunLoopback({ direct });
      const a = await loop.pair();
      const b = await loop.pair();
      const s = spliceStreams(a.endpoint.readable, b.endpoint.writable);
      const input = pattern(1 << 20);
      await a.peer.write(input);
      await b.peer.receivedAtLeast(input.byteLength);
      await a.peer.end();
      const r = await s.done;
      expect(r.reason).toBe('eof');
      expect(r.bytes).toBe(input.byteLength);
      await b.peer.ended();
      expectBytes(b.peer.received(), input);
      await loop.dispose();
    });
    it('max exact, rest readable', async () => {
      const loop = new BunLoopback({ direct });
      const a = await loop.pair();
      const b = await loop.pair();
      const input = pattern(100000);
      await a.peer.write(input);
      const s = spliceStreams(a.endpoint.readable, b.endpoint.writable, { max: 12345 });
      const r = await s.done;
      expect(r).toEqual({ reason: 'max', bytes: 12345 });
      await b.peer.receivedAtLeast(12345);
      const rest = await readAtLeast(a.endpoint.readable, 100000 - 12345, 5000);
      expectBytes(rest, input.subarray(12345));
      await loop.dispose();
    });
  });
}
