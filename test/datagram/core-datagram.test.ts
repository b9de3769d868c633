/**
 * Datagram-aware splicing in core (docs/datagrams.md) over in-memory streams marked
 * with `markDatagrams`: 0-byte datagrams forwarded, never split at `max`,
 * the datagram that does not fit returned whole (or put back by the mark).
 */
import { markDatagrams, spliceStreams } from '@sosplice/core';
import { describe, expect, it } from 'vitest';

const d = (n: number, fill = 0x61): Uint8Array => new Uint8Array(n).fill(fill);

function source(datagrams: Uint8Array[], unshift?: (x: Uint8Array) => void): ReadableStream<Uint8Array> {
  const queue = [...datagrams];
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const next = queue.shift();
        // Never closes: a datagram source has no EOF.
        if (next !== undefined) controller.enqueue(next);
        else return new Promise(() => {});
      },
    },
    { highWaterMark: 0 },
  );
  return markDatagrams(stream, unshift === undefined ? {} : { unshift: (x) => { queue.unshift(x); unshift(x); } });
}

function sink(): { writable: WritableStream<Uint8Array>; got: Uint8Array[] } {
  const got: Uint8Array[] = [];
  return { got, writable: markDatagrams(new WritableStream<Uint8Array>({ write: (c) => void got.push(c.slice()) })) };
}

describe('core datagram splice (in memory)', () => {
  it('forwards a 0-byte datagram as a 0-length chunk, boundaries kept', async () => {
    const lengths = [251, 16384, 0, 1, 2, 3, 4, 5];
    const { writable, got } = sink();
    const s = spliceStreams(source(lengths.map((n) => d(n))), writable, { max: lengths.reduce((a, b) => a + b) });
    const r = await s.done;
    expect(r).toEqual({ reason: 'max', bytes: 16650 });
    expect(got.map((c) => c.byteLength)).toEqual(lengths);
  });

  it('max 4 over 1,3,1 delivers "1","3" and ends with max', async () => {
    const { writable, got } = sink();
    const r = await spliceStreams(source([d(1), d(3), d(1)]), writable, { max: 4 }).done;
    expect(r).toEqual({ reason: 'max', bytes: 4 });
    expect(got.map((c) => c.byteLength)).toEqual([1, 3]);
  });

  it('max 2 over 1,3,1 delivers "1"; the 3-byte datagram comes back whole as remainder', async () => {
    const { writable, got } = sink();
    const r = await spliceStreams(source([d(1), d(3, 0x62), d(1)]), writable, { max: 2 }).done;
    expect(r.reason).toBe('max');
    expect(r.bytes).toBe(1);
    expect(r.remainder).toEqual(d(3, 0x62));
    expect(got.map((c) => c.byteLength)).toEqual([1]);
  });

  it('max 2 over 1,3,1 with a source that takes datagrams back: the 3-byte one is read next', async () => {
    const { writable, got } = sink();
    const back: Uint8Array[] = [];
    const readable = source([d(1), d(3, 0x62), d(1)], (x) => back.push(x));
    const r = await spliceStreams(readable, writable, { max: 2 }).done;
    expect(r).toEqual({ reason: 'max', bytes: 1 });
    expect(got.map((c) => c.byteLength)).toEqual([1]);
    expect(back).toHaveLength(1);
    const reader = readable.getReader();
    expect((await reader.read()).value).toEqual(d(3, 0x62));
    expect((await reader.read()).value).toEqual(d(1));
    reader.releaseLock();
  });

  it('a byte stream still skips 0-byte chunks and cuts at max (unchanged)', async () => {
    const got: Uint8Array[] = [];
    const chunks = [d(1), d(0), d(3)];
    const readable = new ReadableStream<Uint8Array>({ pull: (c) => void c.enqueue(chunks.shift()!) }, { highWaterMark: 0 });
    const r = await spliceStreams(readable, new WritableStream({ write: (c) => void got.push(c) }), { max: 2 }).done;
    expect(r.reason).toBe('max');
    expect(got.map((c) => c.byteLength)).toEqual([1, 1]);
    expect(r.remainder?.byteLength).toBe(2);
  });

  it('refuses an unconnected datagram drain with a coded TypeError, locking nothing', () => {
    const readable = source([d(1)]);
    const writable = markDatagrams(new WritableStream<Uint8Array>(), { connected: () => false });
    let error: unknown;
    try {
      spliceStreams(readable, writable);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TypeError);
    expect((error as { code?: string }).code).toBe('ERR_DATAGRAM_NOT_CONNECTED');
    expect(readable.locked || writable.locked).toBe(false);
  });
});
