/**
 * The socket kit's direct path (@sosplice/core/socket, docs/contract.md#direct-dispatch)
 * between two sides over fake transports: its shared steps, each proved on
 * its own. The conformance suite (test/conformance/kit.test.ts) proves the
 * contract on it end to end.
 */
import { describe, expect, it } from 'vitest';
import { spliceBidirectional, spliceStreams, type DirectSpliceProvider, type SpliceControl } from '@sosplice/core';
import { createSocketDirectProvider, SocketDirectRun, SocketEndpointMark, type SocketReadSide, type SocketWriteSide } from '@sosplice/core/socket';
import { directSplice } from '@sosplice/core';
import { until } from '../harness/_util';
import { bytes, fakeSides, range } from './_fake';

const T = 5_000;

function kit(highWaterMark = 16) {
  const runs: Array<[SocketReadSide, SocketWriteSide]> = [];
  // The hook sees every run the provider starts, then lets the kit's own run it.
  const provider = createSocketDirectProvider((source, drain) => void runs.push([source, drain]));
  // Paused at first: the run's first resume() shows it attached.
  const a = fakeSides(highWaterMark, provider, true);
  const b = fakeSides(highWaterMark, provider, true);
  return { provider, runs, a, b };
}

describe('the socket kit direct path', () => {
  it('takes a splice between two marked streams, and moves bytes without the streams', async () => {
    const { runs, a, b } = kit();
    const splice = spliceStreams(a.read.readable, b.write.writable);
    expect(runs).toEqual([[a.read, b.write]]);
    await Promise.resolve();
    a.read.onData(range(0, 4));
    await until(() => b.t.written.length === 4, T, 'bytes in the drain');
    expect(splice.bytes).toBe(4);
    expect((await splice.unsplice()).reason).toBe('unsplice');
  });

  it('takes a splice between two marked endpoints through their leases (SPEC 6.2)', async () => {
    const { provider, runs, a, b } = kit();
    const endpoint = (s: typeof a) => ({
      [directSplice]: new SocketEndpointMark(provider, s.read, s.write),
      get readable(): ReadableStream<Uint8Array> {
        throw new Error('readable read');
      },
      get writable(): WritableStream<Uint8Array> {
        throw new Error('writable read');
      },
    });
    const pair = spliceBidirectional(endpoint(a), endpoint(b));
    expect(runs).toEqual([
      [a.read, b.write],
      [b.read, a.write],
    ]);
    a.read.onData(bytes(1, 2));
    b.read.onData(bytes(3));
    await until(() => b.t.written.length === 2 && a.t.written.length === 1, T, 'both directions');
    a.read.onEnd();
    const up = await pair.aToB.done;
    expect(up).toEqual({ reason: 'eof', bytes: 2 });
    expect(b.t.shutdowns).toBe(1);
    await pair.unsplice();
  });

  it("step 1: the drain's queued writes go first", async () => {
    const { a, b } = kit(64);
    b.t.takes = 2;
    const writer = b.write.writable.getWriter();
    void writer.write(range(100, 105));
    writer.releaseLock();
    a.read.onData(range(0, 3));
    const splice = spliceStreams(a.read.readable, b.write.writable);
    await until(() => splice.bytes === 0 && b.t.written.length === 2, T, 'the first part of the queued write');
    b.t.takes = Number.POSITIVE_INFINITY;
    b.write.onWritable();
    await until(() => b.t.written.length === 8, T, 'everything');
    expect(b.t.written).toEqual([100, 101, 102, 103, 104, 0, 1, 2]);
    await splice.unsplice();
  });

  it('step 2: bytes a released reader left queued go first, then the queue, then live data', async () => {
    const { a, b } = kit(64);
    a.read.onData(range(0, 10));
    const reader = a.read.readable.getReader({ mode: 'byob' });
    await reader.read(new Uint8Array(4));
    reader.releaseLock();
    a.read.onData(range(10, 12));
    const splice = spliceStreams(a.read.readable, b.write.writable);
    await until(() => b.t.written.length === 8, T, 'queued bytes');
    a.read.onData(range(12, 14));
    await until(() => b.t.written.length === 10, T, 'live bytes');
    expect(b.t.written).toEqual([...range(4, 14)]);
    await splice.unsplice();
  });

  it('step 3 and 4: a chunk is split at the budget, counted, then written; the tail is read next from the source', async () => {
    const { a, b } = kit(64);
    const splice = spliceStreams(a.read.readable, b.write.writable, { max: 5 });
    await Promise.resolve();
    a.read.onData(range(0, 8));
    expect(await splice.done).toEqual({ reason: 'max', bytes: 5 });
    expect(b.t.written).toEqual([0, 1, 2, 3, 4]);
    const { value } = await a.read.readable.getReader().read();
    expect([...value!]).toEqual([5, 6, 7]);
  });

  it('backpressure: a drain that took less pauses the source; onWritable() resumes it, in order', async () => {
    const { a, b } = kit(64);
    const splice = spliceStreams(a.read.readable, b.write.writable);
    await until(() => a.t.resumes === 1, T, 'the run attached');
    b.t.takes = 3;
    a.read.onData(range(0, 5));
    expect(a.t.paused).toBe(true);
    expect(splice.bytes).toBe(5);
    b.t.takes = Number.POSITIVE_INFINITY;
    b.write.onWritable();
    expect(a.t.paused).toBe(false);
    expect(b.t.written).toEqual([...range(0, 5)]);
    await splice.unsplice();
  });

  it('step 5: stop() once; what comes after goes to the source, and a second stop() changes nothing', async () => {
    const { a, b } = kit(64);
    let counted = 0;
    const control = {
      remaining: Number.POSITIVE_INFINITY,
      bytes: 0,
      count: (n: number) => void (counted += n),
      sourceEnded() {},
      sourceErrored() {},
      drainErrored() {},
      maxReached() {},
      liveProgress: () => () => {},
    } satisfies SpliceControl;
    const run = new SocketDirectRun(a.read, b.write, control);
    await until(() => a.t.resumes === 1, T, 'the run attached');
    a.read.onData(bytes(1));
    run.stop();
    run.stop();
    a.read.onData(bytes(2));
    expect(counted).toBe(1);
    expect(b.t.written).toEqual([1]);
    expect([...a.read.queue.shift()!]).toEqual([2]);
  });

  it('endpoints of different providers, or a provider that declines: the splice runs on their streams, and releases what it leased', async () => {
    const one = kit();
    const other = kit();
    const endpoint = (s: ReturnType<typeof fakeSides>, provider: DirectSpliceProvider) => ({
      [directSplice]: new SocketEndpointMark(provider, s.read, s.write),
      get readable() {
        return s.read.readable;
      },
      get writable() {
        return s.write.writable;
      },
    });
    const mixed = spliceBidirectional(endpoint(one.a, one.provider), endpoint(other.b, other.provider));
    expect(one.runs.length + other.runs.length, 'no direct run between two providers').toBe(0);
    one.a.read.onData(bytes(1, 2, 3));
    await until(() => other.b.t.written.length === 3, T, 'bytes over the stream path');
    await mixed.unsplice();
    expect(one.a.read.readable.locked || other.b.write.writable.locked).toBe(false);

    // A provider whose spliceEndpoints() declines: the leases go back, the streams are spliced.
    const { a, b, provider } = kit();
    const declining: DirectSpliceProvider = { splice: (task) => provider.splice(task), spliceEndpoints: () => undefined };
    const x = endpoint(a, declining);
    const y = endpoint(b, declining);
    const pair = spliceBidirectional(x, y);
    expect(a.read.readable.locked && b.write.writable.locked, 'the streams, held by the stream path').toBe(true);
    a.read.onData(bytes(4, 5));
    await until(() => b.t.written.length === 2, T, 'bytes after the decline');
    await pair.unsplice();
    expect(a.read.lease(), 'the lease taken before the decline went back').toBeDefined();
  });
});
