/**
 * Socket-specific promises of docs/contract.md#while-spliced and 5 through the Bun adapter, on
 * both paths: exact `max` with the source left open, writes around a
 * splice, unsplice in the middle of a large transfer, counters per splice,
 * peer resets on either side.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spliceStreams } from '@sosplice/core';
import { BunLoopback, type BunSpliceSocket, type RawPeer } from '../harness/bun';
import { checksum, concat, expectBytes, pattern, readAtLeast, text, until, withTimeout, writeOnce } from '../harness/_util';

const T = 10_000;

/**
 * Holds the event loop for `ms`: lets the kernel take an RST in while Bun
 * has not run its handlers yet. No event can be awaited for that moment.
 */
const blockLoop = (ms: number): void => {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: on purpose
  }
};

for (const direct of [true, false]) {
  describe(`bun adapter lifecycle, ${direct ? 'direct' : 'generic'} path`, () => {
    let loop: BunLoopback;
    const two = async (): Promise<[{ endpoint: BunSpliceSocket; peer: RawPeer }, { endpoint: BunSpliceSocket; peer: RawPeer }]> => {
      loop = new BunLoopback({ direct });
      return [await loop.pair(), await loop.pair()];
    };
    afterEach(() => loop?.dispose());

    it('max ends at once with the source still open, and the rest is read next', async () => {
      const [a, b] = await two();
      const input = pattern(300_000, 1);
      await a.peer.write(input);
      const s = spliceStreams(a.endpoint.readable, b.endpoint.writable, { max: 100_001 });
      expect(await withTimeout(s.done, T, 'max')).toEqual({ reason: 'max', bytes: 100_001 });
      await b.peer.receivedAtLeast(100_001);
      expectBytes(b.peer.received(), input.subarray(0, 100_001), 'delivered');
      expectBytes(await readAtLeast(a.endpoint.readable, 199_999, T), input.subarray(100_001), 'rest of the source');
      expect(a.peer.isClosed).toBe(false);
    });

    it('max reached by bytes already buffered when the splice starts ends at once', async () => {
      // Regression: the direct path delivered them inside provider.splice(), before the core knew the run, and the max was lost.
      const [a, b] = await two();
      const input = pattern(1000, 12);
      await a.peer.write(input);
      await until(() => a.endpoint.readableBuffered === input.byteLength, T, 'source buffered');
      const s = spliceStreams(a.endpoint.readable, b.endpoint.writable, { max: 10 });
      expect(await withTimeout(s.done, T, 'max')).toEqual({ reason: 'max', bytes: 10 });
      expectBytes(await readAtLeast(a.endpoint.readable, 990, T), input.subarray(10));
      await withTimeout(b.peer.receivedAtLeast(10), T, 'delivered');
      expectBytes(b.peer.received(), input.subarray(0, 10));
    });

    it('bytes written before the splice go out first, bytes written after it go out last', async () => {
      const [a, b] = await two();
      const writer = b.endpoint.writable.getWriter();
      const before = pattern(2 << 20, 2);
      const written = writer.write(before); // still flushing when the splice starts
      writer.releaseLock();
      const s = spliceStreams(a.endpoint.readable, b.endpoint.writable, { max: 65_536 });
      const middle = pattern(65_536, 3);
      await a.peer.write(middle);
      expect((await withTimeout(s.done, T, 'max')).reason).toBe('max');
      await written;
      const after = text('after');
      await writeOnce(b.endpoint.writable, after);
      await withTimeout(b.peer.receivedAtLeast(before.byteLength + middle.byteLength + after.byteLength), T, 'all bytes');
      expectBytes(b.peer.received(), concat(before, middle, after));
    });

    it('unsplice in the middle of 64 MiB leaves every byte, once, in order, for a userspace read', async () => {
      const [a, b] = await two();
      const SIZE = 64 << 20;
      const input = pattern(1 << 20, 4);
      const s = spliceStreams(a.endpoint.readable, b.endpoint.writable);
      const sending = (async () => {
        for (let i = 0; i < SIZE / input.byteLength; i++) await a.peer.write(input);
      })();
      await withTimeout(b.peer.receivedAtLeast(SIZE / 4), T, 'a quarter through');
      const r = await withTimeout(s.unsplice(), T, 'unsplice');
      expect(r.reason).toBe('unsplice');
      expect(r.bytes).toBeGreaterThanOrEqual(SIZE / 4);
      expect(r.bytes).toBeLessThan(SIZE);
      const rest = await readAtLeast(a.endpoint.readable, SIZE - r.bytes, 30_000);
      await sending;
      await withTimeout(b.peer.receivedAtLeast(r.bytes), T, 'delivered bytes');
      expect(b.peer.receivedBytes).toBe(r.bytes);
      expect(rest.byteLength).toBe(SIZE - r.bytes);
      // Delivered + read afterwards is the whole stream: the repeated pattern, checked by offset.
      const whole = concat(b.peer.received(), rest);
      for (let i = 0; i < SIZE; i += input.byteLength) {
        expect(checksum(whole.subarray(i, i + input.byteLength)), `MiB ${i >> 20}`).toBe(checksum(input));
      }
    }, 60_000);

    it('a new splice on the same sockets counts from 0', async () => {
      const [a, b] = await two();
      await a.peer.write(pattern(1000, 5));
      const first = spliceStreams(a.endpoint.readable, b.endpoint.writable, { max: 600 });
      expect(await first.done).toEqual({ reason: 'max', bytes: 600 });
      const second = spliceStreams(a.endpoint.readable, b.endpoint.writable, { max: 400 });
      expect(await second.done).toEqual({ reason: 'max', bytes: 400 });
      expect(first.bytes).toBe(600);
      await b.peer.receivedAtLeast(1000);
      expectBytes(b.peer.received(), pattern(1000, 5));
    });

    for (const side of ['source', 'drain'] as const) {
      it(`an RST on the ${side} ends the splice with 'error' and the runtime's ECONNRESET`, async () => {
        const [a, b] = await two();
        const s = spliceStreams(a.endpoint.readable, b.endpoint.writable);
        await a.peer.write(pattern(10_000, 6));
        await b.peer.receivedAtLeast(10_000);
        const isReset = await (side === 'source' ? a : b).peer.reset();
        if (side === 'drain') await a.peer.write(pattern(100_000, 7)); // the drain notices on its next write or read
        const r = await withTimeout(s.done, T, 'error result');
        expect(r.reason).toBe('error');
        expect(isReset(r.error), String(r.error)).toBe(true);
        // Policy: the other socket is destroyed with it (abort / cancel).
        await withTimeout((side === 'source' ? b : a).peer.aborted(), T, 'other side destroyed');
      });
    }

    it('a write that meets a reset before Bun reported it fails with EPIPE, on every stream of the socket', async () => {
      // Regression: Bun's write() returns -1 and then reports a clean end and
      // close, so the writable said ERR_SOCKET_CLOSED and the readable EOF.
      const [, b] = await two();
      await b.peer.reset();
      blockLoop(20);
      const writer = b.endpoint.writable.getWriter();
      const error = await writer.write(text('into a reset')).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as { code?: string }).code).toBe('EPIPE');
      writer.releaseLock();
      await expect(b.endpoint.closed).rejects.toBe(error);
      await expect(b.endpoint.readable.getReader().read()).rejects.toBe(error);
    });
  });
}

describe('bun adapter lifecycle, direct path only', () => {
  it('with preventCancel, every byte past result.bytes stays in the source when a reset drain fails a write', async () => {
    // Regression: the direct path dropped the chunk whose write failed. A
    // chunk is counted as it is handed to socket.write() (docs/contract.md#counting), so the
    // one Bun answers with -1 is in bytes, like a stream write that rejects.
    const loop = new BunLoopback({ direct: true });
    try {
      const a = await loop.pair();
      const b = await loop.pair();
      const input = pattern(30_000, 11);
      await a.peer.write(input);
      await until(() => a.endpoint.readableBuffered === input.byteLength, T, 'source buffered');
      await b.peer.reset();
      blockLoop(20);
      const s = spliceStreams(a.endpoint.readable, b.endpoint.writable, { preventCancel: true });
      const r = await withTimeout(s.done, T, 'error');
      expect(r.reason).toBe('error');
      expect((r.error as { code?: string }).code).toBe('EPIPE');
      expect(s.bytes).toBe(r.bytes);
      expectBytes(await readAtLeast(a.endpoint.readable, input.byteLength - r.bytes, T), input.subarray(r.bytes));
    } finally {
      await loop.dispose();
    }
  });

  it('with preventCancel, a drain known to have failed takes nothing: every byte stays in the source', async () => {
    const loop = new BunLoopback({ direct: true });
    try {
      const a = await loop.pair();
      const b = await loop.pair();
      const input = pattern(30_000, 13);
      await a.peer.write(input);
      await until(() => a.endpoint.readableBuffered === input.byteLength, T, 'source buffered');
      await b.peer.reset();
      await b.endpoint.closed.catch(() => undefined);
      const s = spliceStreams(a.endpoint.readable, b.endpoint.writable, { preventCancel: true });
      const r = await withTimeout(s.done, T, 'error');
      expect(r.reason).toBe('error');
      expect(r.bytes).toBe(0);
      expectBytes(await readAtLeast(a.endpoint.readable, input.byteLength, T), input);
    } finally {
      await loop.dispose();
    }
  });

  for (const trigger of ['abort', 'max'] as const) {
    it(`${trigger === 'abort' ? 'an abort fired inside' : 'max reached by'} the drain socket's write call: result.bytes is exactly what went out`, async () => {
      // Regression: the direct path counted after socket.write(), so a stop
      // from inside the write settled the splice without the chunk being written.
      const loop = new BunLoopback({ direct: true });
      try {
        const a = await loop.pair();
        const b = await loop.pair();
        const ac = new AbortController();
        const socket = b.endpoint.socket as unknown as { write(bytes: Uint8Array): number };
        const write = socket.write;
        socket.write = function (this: unknown, bytes: Uint8Array): number {
          const n = write.call(this, bytes);
          if (n > 0 && trigger === 'abort') ac.abort();
          return n;
        };
        const input = pattern(50_000, 14);
        await a.peer.write(input);
        await until(() => a.endpoint.readableBuffered === input.byteLength, T, 'source buffered');
        const max = trigger === 'max' ? 20_000 : 0;
        const s = spliceStreams(a.endpoint.readable, b.endpoint.writable, { signal: ac.signal, max });
        const r = await withTimeout(s.done, T, 'done');
        expect(r.reason).toBe(trigger === 'abort' ? 'unsplice' : 'max');
        expect(r.bytes).toBeGreaterThan(0);
        if (trigger === 'max') expect(r.bytes).toBe(max);
        expect(s.bytes).toBe(r.bytes);
        await withTimeout(b.peer.receivedAtLeast(r.bytes), T, 'drain peer');
        expectBytes(b.peer.received(), input.subarray(0, r.bytes), 'delivered');
        expectBytes(await readAtLeast(a.endpoint.readable, input.byteLength - r.bytes, T), input.subarray(r.bytes), 'rest of the source');
      } finally {
        await loop.dispose();
      }
    });
  }
});
