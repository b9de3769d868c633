/**
 * The reliability races (issue 7) over in-memory streams, native and
 * polyfill, byte and default: no transport between the streams and the
 * peers, so the races land on the engine's own ticks. Runs under every
 * launcher. Plus an abort fired synchronously inside a sink's write().
 */
import { describe, expect } from 'vitest';
import { spliceStreams } from '@sosplice/core';
import { memoryHarness } from '../harness/memory';
import { concat, expectBytes, macrotask, pattern, withTimeout } from '../harness/_util';
import { drainToEnd, T, watchDone } from './_common';
import { describeRaces } from './_races';
import { add, scenario, section, writeResultsAfterAll } from './_record';

writeResultsAfterAll('memory');

for (const impl of ['native', 'polyfill'] as const) {
  for (const byteStream of [true, false]) {
    const name = `memory:${impl}:${byteStream ? 'bytes' : 'default'}`;
    describe(name, () => {
      describeRaces(memoryHarness({ impl, byteStream }), 'reliability', undefined, 20);
    });
  }
}

describe('memory:native', () => {
  section('Races');
  scenario('an abort fired synchronously inside the sink write()', () => 'memory:native:bytes', async (fig) => {
    for (let at = 1; at <= 12; at++) {
      const ac = new AbortController();
      const input = pattern(20 * 1000, at);
      let i = 0;
      const chunks: Uint8Array[] = [];
      const source = new ReadableStream<Uint8Array>(
        {
          type: 'bytes',
          pull(c) {
            if (i < 20) c.enqueue(input.slice(i * 1000, ++i * 1000));
            else c.close();
          },
        },
        { highWaterMark: 0 },
      );
      const drain = new WritableStream<Uint8Array>({
        write(chunk) {
          chunks.push(chunk.slice());
          if (chunks.length === at) ac.abort();
        },
      });
      const s = spliceStreams(source, drain, { signal: ac.signal });
      const watch = watchDone(s.done);
      const result = await withTimeout(s.done, T, 'done');
      await macrotask();
      expect(watch.settled).toBe(1);
      expect(result.reason).toBe('unsplice');
      expect(concat(...chunks).byteLength).toBe(result.bytes);
      expectBytes(concat(concat(...chunks), await drainToEnd(source)), input, 'sink + source rest');
      add(fig, 'bytesChecked', input.byteLength);
    }
  });
});
