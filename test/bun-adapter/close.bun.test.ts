/**
 * `close()` as docs/adapters.md#closing promises it, over real loopback
 * sockets: FIN after every byte already queued, nothing read or written
 * after it, resolved once the peer finished or after `linger` ms (then the
 * socket is destroyed), never rejected; and a splice through a socket that
 * is closed ends with a clear reason, on every path.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spliceStreams } from '@sosplice/core';
import { SocketClosedError } from '@sosplice/bun-adapter';
import { BunLoopback, type BunHarnessOptions } from '../harness/bun';
import { kernelAvailable, pathName } from '../harness/_kernel';
import { concat, expectBytes, pattern, readToEnd, stillPendingAfter, text, until, withTimeout, writeOnce } from '../harness/_util';

const T = 10_000;
const MiB = 1 << 20;

const settled = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => 'resolved', (error: unknown) => error);

for (const direct of [true, false]) {
  describe(`bun close(), ${direct ? 'direct' : 'generic'} path`, () => {
    let loop: BunLoopback | undefined;
    const open = (options: Partial<BunHarnessOptions> = {}) => {
      loop = new BunLoopback({ direct, ...options });
      return loop.pair();
    };
    afterEach(async () => {
      await loop?.dispose();
      loop = undefined;
    });

    it('a slow reader behind 16 MiB queued receives every byte, then FIN; close() resolves once the peer finished', async () => {
      const { endpoint, peer } = await open();
      peer.stall();
      // Sixteen writes, not awaited: most of them wait in the writable's own queue when close() is called.
      const chunks = Array.from({ length: 16 }, (_, i) => pattern(MiB, 30 + i));
      const writer = endpoint.writable.getWriter();
      for (const chunk of chunks) void writer.write(chunk).catch(() => {});
      await until(() => endpoint.writableBuffered > 0, T, 'the peer stopped reading');
      const closing = endpoint.close();
      peer.resume();
      await withTimeout(peer.ended(), T, 'FIN after the queued bytes');
      expect(peer.receivedBytes).toBe(16_777_216);
      expectBytes(peer.received(), concat(...chunks));
      // Fully closed only once the peer finished too.
      expect(await stillPendingAfter(closing, 50)).toBe(true);
      await peer.end();
      await withTimeout(closing, T, 'close() once the peer finished');
      expect(await settled(endpoint.closed)).toBe('resolved');
    });

    it('a peer that never reads nor closes: close() resolves within linger and the socket is destroyed', async () => {
      const { endpoint, peer } = await open({ linger: 300 });
      peer.stall();
      void endpoint.writable.getWriter().write(pattern(16 * MiB, 40)).catch(() => {});
      await until(() => endpoint.writableBuffered > 0, T, 'the peer stopped reading');
      const started = performance.now();
      await withTimeout(endpoint.close(), T, 'close() within linger');
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(5000);
      expect(await withTimeout(settled(endpoint.closed), T, 'closed')).toBe('resolved');
      await withTimeout(peer.aborted(), T, 'the peer sees the socket destroyed');
    });

    it('close() after a peer reset resolves, and closed rejects with ECONNRESET', async () => {
      const { endpoint, peer } = await open();
      await peer.reset();
      const error = await withTimeout(settled(endpoint.closed), T, 'closed');
      expect(error).toMatchObject({ code: 'ECONNRESET' });
      await expect(withTimeout(endpoint.close(), T, 'close()')).resolves.toBeUndefined();
    });

    it('a reset while close() lingers: close() resolves, closed rejects with the reset', async () => {
      const { endpoint, peer } = await open();
      peer.stall();
      void endpoint.writable.getWriter().write(pattern(16 * MiB, 41)).catch(() => {});
      await until(() => endpoint.writableBuffered > 0, T, 'the peer stopped reading');
      const closing = endpoint.close();
      await peer.reset();
      await expect(withTimeout(closing, T, 'close()')).resolves.toBeUndefined();
      expect(await settled(endpoint.closed)).toMatchObject({ code: expect.stringMatching(/^(ECONNRESET|EPIPE)$/) });
    });

    it('close() twice: both resolve', async () => {
      const { endpoint, peer } = await open();
      const first = endpoint.close();
      const second = endpoint.close();
      await withTimeout(peer.ended(), T, 'our FIN');
      await peer.end();
      await expect(withTimeout(Promise.all([first, second]), T, 'both')).resolves.toEqual([undefined, undefined]);
    });

    it('close() after the peer finished resolves without waiting for linger', async () => {
      const { endpoint, peer } = await open({ linger: 60_000 });
      await peer.write(text('bye'));
      await peer.end();
      expectBytes(await readToEnd(endpoint.readable, T), text('bye'));
      await withTimeout(endpoint.close(), T, 'close() after both FINs');
      await withTimeout(peer.ended(), T, 'our FIN');
      expect(await settled(endpoint.closed)).toBe('resolved');
    });

    it('close() after both FINs (the usual end of a proxied pair) resolves at once', async () => {
      const { endpoint, peer } = await open({ linger: 60_000 });
      await endpoint.writable.close();
      await withTimeout(peer.ended(), T, 'our FIN');
      await peer.end();
      expectBytes(await readToEnd(endpoint.readable, T), new Uint8Array(0));
      await withTimeout(endpoint.close(), 2000, 'close() with nothing left to wait for');
      expect(await settled(endpoint.closed)).toBe('resolved');
    });

    it('linger: 0 destroys at once, dropping what is queued', async () => {
      const { endpoint, peer } = await open({ linger: 0 });
      peer.stall();
      void endpoint.writable.getWriter().write(pattern(16 * MiB, 42)).catch(() => {});
      await until(() => endpoint.writableBuffered > 0, T, 'the peer stopped reading');
      await withTimeout(endpoint.close(), 2000, 'close() at once');
      await withTimeout(peer.aborted(), T, 'the peer sees the socket destroyed');
    });

    it('after close() nothing is read or written: reads, writes and unshift() fail with SocketClosedError', async () => {
      const { endpoint, peer } = await open({ linger: 300 });
      const made = (await loop!.pair()).endpoint;
      made.writable.getWriter().releaseLock();
      const closingMade = made.close();
      const reader = endpoint.readable.getReader();
      const pending = settled(reader.read());
      const closing = endpoint.close();
      expect(await pending).toBeInstanceOf(SocketClosedError);
      reader.releaseLock();
      // A writable made before close() fails with SocketClosedError; one first touched after it is closed.
      const written = await settled(writeOnce(made.writable, text('late')));
      expect(written).toBeInstanceOf(SocketClosedError);
      expect((written as SocketClosedError).code).toBe('ERR_SOCKET_CLOSED');
      expect(await settled(writeOnce(endpoint.writable, text('late')))).toBeInstanceOf(Error);
      expect(() => endpoint.unshift(text('x'))).toThrow(SocketClosedError);
      // What the peer sends now is read and dropped, so its FIN is seen.
      await peer.write(text('ignored'));
      await peer.end();
      await withTimeout(closing, T, 'close()');
      expect(endpoint.readableBuffered).toBe(0);
      await withTimeout(closingMade, T, 'close() of the other socket');
    });
  });
}

const splicePaths: BunHarnessOptions[] = [{ direct: true }, { direct: false }, ...(kernelAvailable() ? [{ direct: true, kernel: true }] : [])];
for (const options of splicePaths) {
  describe(`bun close() during a splice, ${pathName(options)} path`, () => {
    for (const side of ['source', 'drain'] as const) {
      it(`close() of the ${side} ends the splice with 'error' and ERR_SOCKET_CLOSED`, async () => {
        const loop = new BunLoopback({ ...options, linger: 300 });
        try {
          const a = await loop.pair();
          const b = await loop.pair();
          const s = spliceStreams(a.endpoint.readable, b.endpoint.writable);
          const input = pattern(100_000, 43);
          await a.peer.write(input);
          await withTimeout(b.peer.receivedAtLeast(input.byteLength), T, 'spliced');
          const closing = (side === 'source' ? a : b).endpoint.close();
          const r = await withTimeout(s.done, T, 'the splice ends');
          expect(r.reason).toBe('error');
          expect(r.error).toBeInstanceOf(SocketClosedError);
          expect(r.bytes).toBe(input.byteLength);
          await withTimeout(closing, T, 'close()');
        } finally {
          await loop.dispose();
        }
      });
    }
  });
}
