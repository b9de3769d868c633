/**
 * SPEC.md 2: `SpliceTransform`, the composable form. The same max / idle /
 * signal policy and counting inside a `pipeThrough` chain, with a `Splice`
 * handle; at `max` it ends its readable and keeps the straddling tail as
 * `result.remainder` (it cannot give bytes back upstream).
 */
import { describe, expect, it } from 'vitest';
import { SpliceTransform } from '@sosplice/core';
import { chunk, concat, expectBytes, pattern, readToEnd, remainderOf, stillPendingAfter, withTimeout } from './harness/_util';

const T = 5_000;

/** A source that hands out `chunks` and then ends (or stays open when `end` is false). */
function source(chunks: readonly Uint8Array[], end = true): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(c) {
        if (i < chunks.length) c.enqueue(chunks[i++]!.slice());
        else if (end) c.close();
      },
    },
    { highWaterMark: 0 },
  );
}

/** A writable recording what it got, and whether it was closed. */
function recorder(): { writable: WritableStream<Uint8Array>; bytes: () => Uint8Array; closed: () => boolean } {
  const parts: Uint8Array[] = [];
  let closed = false;
  const writable = new WritableStream<Uint8Array>({
    write: (c) => void parts.push(c.slice()),
    close: () => void (closed = true),
  });
  return { writable, bytes: () => concat(...parts), closed: () => closed };
}

describe('SpliceTransform', () => {
  it('is a TransformStream of bytes that exposes bytes, done and unsplice() like a Splice', () => {
    const t = new SpliceTransform();
    expect(t).toBeInstanceOf(TransformStream);
    expect(t.readable).toBeInstanceOf(ReadableStream);
    expect(t.writable).toBeInstanceOf(WritableStream);
    expect(t.bytes).toBe(0);
    expect(t.done).toBeInstanceOf(Promise);
    expect(typeof t.unsplice).toBe('function');
    expect(typeof t[Symbol.asyncDispose]).toBe('function');
  });

  it("counts every byte through pipeThrough and ends with 'eof' when the source ends", async () => {
    const input = pattern(100_000, 1);
    const t = new SpliceTransform();
    const out = recorder();
    await withTimeout(source(chunk(input, Array(25).fill(4000))).pipeThrough(t).pipeTo(out.writable), T, 'pipe');
    expect(await withTimeout(t.done, T, 'done')).toMatchObject({ reason: 'eof', bytes: input.byteLength });
    expect(t.bytes).toBe(input.byteLength);
    expectBytes(out.bytes(), input);
    expect(out.closed()).toBe(true);
  });

  it('counts live, chunk by chunk', async () => {
    const t = new SpliceTransform();
    const writer = t.writable.getWriter();
    const reader = t.readable.getReader();
    for (const [i, size] of [10, 20, 30].entries()) {
      void writer.write(pattern(size, i));
      const { value } = await withTimeout(reader.read(), T, 'read');
      expect(value!.byteLength).toBe(size);
    }
    expect(t.bytes).toBe(60);
    await t.unsplice();
  });

  it("at max delivers exactly max bytes, ends its readable, and keeps the straddling tail as remainder", async () => {
    const parts = chunk(pattern(15, 2), [5, 5, 5]);
    const t = new SpliceTransform({ max: 12 });
    const out = recorder();
    // The source stays open: only max can end this pipe.
    const piped = source(parts, false).pipeThrough(t).pipeTo(out.writable);
    piped.catch(() => {});
    const result = await withTimeout(t.done, T, 'done at max');
    expect(result).toMatchObject({ reason: 'max', bytes: 12 });
    expectBytes(remainderOf(result), parts[2]!.subarray(2), 'remainder');
    await withTimeout(piped, T, 'downstream pipe ending with the readable');
    expectBytes(out.bytes(), concat(...parts).subarray(0, 12));
    expect(out.closed(), 'the readable did not end at max').toBe(true);
    expect(t.bytes).toBe(12);
  });

  it('has no remainder when max falls on a chunk boundary', async () => {
    const parts = chunk(pattern(15, 3), [5, 5, 5]);
    const t = new SpliceTransform({ max: 10 });
    const out = recorder();
    source(parts, false).pipeThrough(t).pipeTo(out.writable).catch(() => {});
    const result = await withTimeout(t.done, T, 'done at max');
    expect(result).toMatchObject({ reason: 'max', bytes: 10 });
    expect(remainderOf(result)).toHaveLength(0);
  });

  it("ends with 'idle' after idle ms without a chunk, closing its readable", async () => {
    const t = new SpliceTransform({ idle: 60 });
    const started = performance.now();
    const reader = t.readable.getReader();
    const writer = t.writable.getWriter();
    void writer.write(pattern(7, 4));
    expect((await reader.read()).value!.byteLength).toBe(7);
    const result = await withTimeout(t.done, T, 'done at idle');
    expect(result).toMatchObject({ reason: 'idle', bytes: 7 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    expect(await withTimeout(reader.read(), T, 'readable end')).toEqual({ done: true, value: undefined });
    writer.releaseLock();
  });

  it('keeps re-arming idle while chunks flow', async () => {
    const t = new SpliceTransform({ idle: 150 });
    const writer = t.writable.getWriter();
    const reader = t.readable.getReader();
    const started = performance.now();
    for (let i = 0; i < 12; i++) {
      void writer.write(pattern(3, i));
      await withTimeout(reader.read(), T, `chunk ${i}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(performance.now() - started).toBeGreaterThan(150);
    expect(await stillPendingAfter(t.done, 0)).toBe(true);
    expect(await withTimeout(t.done, T, 'idle')).toMatchObject({ reason: 'idle', bytes: 36 });
  });

  it("ends with 'unsplice' on signal abort and on unsplice(), which is idempotent", async () => {
    const abort = new AbortController();
    const t1 = new SpliceTransform({ signal: abort.signal });
    abort.abort();
    expect(await withTimeout(t1.done, T, 'abort')).toMatchObject({ reason: 'unsplice', bytes: 0 });

    const t2 = new SpliceTransform();
    const out = recorder();
    source([pattern(9, 5)], false).pipeThrough(t2).pipeTo(out.writable).catch(() => {});
    await withTimeout(
      (async () => {
        for (let i = 0; i < 1000 && t2.bytes < 9; i++) await new Promise((r) => setTimeout(r, 1));
      })(),
      T,
      'first chunk',
    );
    const [r1, r2] = await Promise.all([t2.unsplice(), t2.unsplice()]);
    expect(r1).toMatchObject({ reason: 'unsplice', bytes: 9 });
    expect(r2).toEqual(r1);
    expect(await t2.done).toEqual(r1);
    expect(await t2.unsplice()).toEqual(r1);
  });

  it("with an already-aborted signal, done is { reason: 'unsplice', bytes: 0 } and nothing passes", async () => {
    const t = new SpliceTransform({ signal: AbortSignal.abort() });
    expect(await withTimeout(t.done, T, 'done')).toMatchObject({ reason: 'unsplice', bytes: 0 });
    expect(await withTimeout(readToEnd(t.readable), T, 'readable')).toHaveLength(0);
  });

  it('unsplices on await using', async () => {
    let t: SpliceTransform;
    {
      await using u = new SpliceTransform();
      t = u;
    }
    expect(await withTimeout(t.done, T, 'done')).toMatchObject({ reason: 'unsplice', bytes: 0 });
  });

  it('validates its options like spliceStreams', () => {
    expect(() => new SpliceTransform({ max: -1 })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new SpliceTransform({ idle: 'x' } as never)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
  });

  it("settles done with 'error' and the original error when the upstream fails", async () => {
    const error = new Error('upstream failed');
    const t = new SpliceTransform();
    const failing = new ReadableStream<Uint8Array>({ pull: (c) => c.error(error) });
    failing.pipeThrough(t).pipeTo(new WritableStream()).catch(() => {});
    const result = await withTimeout(t.done, T, 'done after an upstream error');
    expect(result).toMatchObject({ reason: 'error', bytes: 0 });
    expect(result.error).toBe(error);
  });

  // Regression: browsers never call a transformer's cancel hook, so done stayed pending there.
  it("settles done with 'error' and the cancel reason when the downstream cancels", async () => {
    const reason = new Error('downstream gone');
    const t = new SpliceTransform();
    const writer = t.writable.getWriter();
    void writer.write(pattern(10, 3)).catch(() => {});
    const reader = t.readable.getReader();
    await withTimeout(reader.read(), T, 'first chunk');
    await reader.cancel(reason);
    const result = await withTimeout(t.done, T, 'done after a downstream cancel');
    expect(result).toMatchObject({ reason: 'error', bytes: 10 });
    expect(result.error).toBe(reason);
  });
});
