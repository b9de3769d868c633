/**
 * docs/contract.md#idle: "Timers must be cheap at scale: thousands of idle splices must
 * not mean thousands of re-armed timers per second." Counted at the source:
 * calls to the global `setTimeout` while the splices run.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { idleClockStats, spliceStreams } from '@sosplice/core';
import type { Splice } from '@sosplice/core';
import { memoryEndpoint } from './harness/memory';
import { pattern } from './harness/_util';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('4.4 idle timers at scale', () => {
  it("ends 10,000 idle splices with 'idle' without a timer per splice", async () => {
    const N = 10_000;
    const idle = 200;
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const started = performance.now();
    const splices: Splice[] = [];
    for (let i = 0; i < N; i++) {
      splices.push(spliceStreams(new ReadableStream<Uint8Array>(), new WritableStream<Uint8Array>(), { idle }));
    }
    const results = await Promise.all(splices.map((s) => s.done));
    const timers = setTimeoutSpy.mock.calls.length;
    const elapsed = performance.now() - started;
    setTimeoutSpy.mockRestore();

    const reasons = new Set(results.map((r) => r.reason));
    expect([...reasons]).toEqual(['idle']);
    expect(elapsed).toBeGreaterThanOrEqual(idle - 5);
    // The spy sees the engine's timers (idle cannot fire without one); a spy
    // that saw nothing would prove nothing.
    expect(timers).toBeGreaterThan(0);
    // One shared clock would need a handful; one timer per splice would be 10,000.
    expect(timers, `${timers} setTimeout calls for ${N} idle splices`).toBeLessThan(N / 10);
    expect(idleClockStats().watched, 'ended splices still watched by the idle clock').toBe(0);
  });

  it('does not re-arm a timer per chunk while bytes flow', async () => {
    const N = 1_000;
    const CHUNKS = 20;
    const pairs = Array.from({ length: N }, () => ({
      a: memoryEndpoint({ impl: 'native', byteStream: false }),
      b: memoryEndpoint({ impl: 'native', byteStream: false }),
    }));
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    // idle far longer than the test: it must never fire, only be kept alive.
    const splices = pairs.map(({ a, b }) => spliceStreams(a.endpoint.readable, b.endpoint.writable, { idle: 60_000 }));
    const chunk = pattern(64, 1);
    for (let c = 1; c <= CHUNKS; c++) {
      await Promise.all(pairs.map(({ a }) => a.peer.write(chunk)));
      await Promise.all(pairs.map(({ b }) => b.peer.receivedAtLeast(c * chunk.byteLength)));
    }
    const timers = setTimeoutSpy.mock.calls.length;
    setTimeoutSpy.mockRestore();
    expect(splices.every((s) => s.bytes === CHUNKS * chunk.byteLength)).toBe(true);
    // N x CHUNKS = 20,000 deliveries; fewer timers than splices, let alone chunks.
    expect(timers, `${timers} setTimeout calls for ${N * CHUNKS} delivered chunks`).toBeLessThan(N);
    const results = await Promise.all(splices.map((s) => s.unsplice()));
    expect(results.every((r) => r.reason === 'unsplice')).toBe(true);
    expect(idleClockStats().watched, 'unspliced splices still watched by the idle clock').toBe(0);
  });

  it('leaves nothing on the idle clock after any ending (no armed timer keeps the process alive)', async () => {
    for (const ending of ['eof', 'max', 'unsplice', 'error', 'signal'] as const) {
      const a = memoryEndpoint({ impl: 'native', byteStream: true });
      const b = memoryEndpoint({ impl: 'native', byteStream: true });
      const abort = new AbortController();
      const s = spliceStreams(a.endpoint.readable, b.endpoint.writable, { idle: 10_000, signal: abort.signal, max: ending === 'max' ? 2 : 0 });
      expect(idleClockStats().watched).toBe(1);
      if (ending === 'eof') await a.peer.end();
      if (ending === 'max') await a.peer.write(pattern(2, 2));
      if (ending === 'unsplice') await s.unsplice();
      if (ending === 'error') await b.peer.reset();
      if (ending === 'signal') abort.abort();
      const result = await s.done;
      expect(result.reason).toBe(ending === 'signal' ? 'unsplice' : ending);
      expect(idleClockStats(), `after '${ending}'`).toMatchObject({ watched: 0, timerArmed: false });
    }
  });
});
