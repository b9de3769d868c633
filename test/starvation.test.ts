/**
 * docs/contract.md#flow-and-memory: "The engine never starves the event loop". A splice between
 * an always-ready source and an always-ready sink must still let timers run,
 * so that a `signal` (here `AbortSignal.timeout`) can end it.
 *
 * The source is endless in spirit but capped, so that a starving engine makes
 * this test fail (it would end at 'eof', the timer never having fired)
 * instead of hanging the whole run.
 */
import { describe, expect, it } from 'vitest';
import { ReadableStream as PolyfillReadableStream, WritableStream as PolyfillWritableStream } from 'web-streams-polyfill';
import { spliceStreams } from '@sosplice/core';
import { withTimeout } from './harness/_util';

const CHUNK = 4096;
const CAP = 100_000; // chunks: ~400 MB, seconds of work even for a fast engine

function alwaysReady(impl: 'native' | 'polyfill', byteStream: boolean) {
  const RS = (impl === 'polyfill' ? PolyfillReadableStream : ReadableStream) as typeof ReadableStream;
  const WS = (impl === 'polyfill' ? PolyfillWritableStream : WritableStream) as typeof WritableStream;
  let pulled = 0;
  const pull = (c: ReadableStreamDefaultController<Uint8Array> | ReadableByteStreamController): void => {
    if (pulled++ >= CAP) return c.close();
    c.enqueue(new Uint8Array(CHUNK).fill(pulled & 0xff));
  };
  const readable = byteStream
    ? new RS({ type: 'bytes', pull } as UnderlyingByteSource)
    : new RS<Uint8Array>({ pull }, { highWaterMark: 4 });
  let received = 0;
  // A sink that is always ready: write() returns synchronously.
  const writable = new WS<Uint8Array>({ write: (c) => void (received += c.byteLength) }, { highWaterMark: 4 });
  return { readable, writable, received: () => received };
}

describe('4.1 The engine never starves the event loop', () => {
  for (const impl of ['native', 'polyfill'] as const) {
    for (const byteStream of [true, false]) {
      const kind = `${impl} ${byteStream ? 'byte' : 'default'} streams`;
      it(`lets timers fire while splicing always-ready ${kind}; AbortSignal.timeout(50) ends it with 'unsplice'`, async () => {
        const { readable, writable, received } = alwaysReady(impl, byteStream);
        let ticks = 0;
        const interval = setInterval(() => ticks++, 5);
        try {
          const started = performance.now();
          const s = spliceStreams(readable, writable, { signal: AbortSignal.timeout(50) });
          const result = await withTimeout(s.done, 20_000, 'done');
          expect(result.reason, `ended with '${result.reason}' after ${Math.round(performance.now() - started)} ms`).toBe('unsplice');
          expect(result.bytes).toBeGreaterThan(0);
          expect(ticks, 'an interval timer never ran during the splice').toBeGreaterThan(0);
          // Everything handed to the writable reaches its (synchronous) sink.
          await new Promise((r) => setTimeout(r, 0));
          expect(received()).toBe(result.bytes);
          expect(readable.locked || writable.locked).toBe(false);
        } finally {
          clearInterval(interval);
        }
      });
    }
  }

  it("does not fire idle while bytes keep moving, and the signal still ends the splice", async () => {
    const { readable, writable } = alwaysReady('native', true);
    const s = spliceStreams(readable, writable, { signal: AbortSignal.timeout(30), max: Number.MAX_SAFE_INTEGER, idle: 10 });
    // idle never fires (bytes always move); only the signal can end this.
    const result = await withTimeout(s.done, 20_000, 'done');
    expect(result.reason).toBe('unsplice');
  });
});
