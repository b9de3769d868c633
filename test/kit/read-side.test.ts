/** The socket kit's read side (@sosplice/core/socket): docs/adapters.md#the-streams over a fake transport. */
import { describe, expect, it } from 'vitest';
import { ByteQueue } from '@sosplice/core/socket';
import { bytes, fakeSides, range } from './_fake';

const readByob = async (readable: ReadableStream<Uint8Array>, size: number): Promise<Uint8Array> => {
  const reader = readable.getReader({ mode: 'byob' });
  const { value } = await reader.read(new Uint8Array(size));
  reader.releaseLock();
  return value!;
};

describe('ByteQueue', () => {
  it('keeps chunks in order, splits at take(max) without copying, and counts bytes', () => {
    const q = new ByteQueue();
    const a = range(0, 5);
    q.push(a);
    q.push(range(5, 8));
    q.unshift(bytes(99));
    q.push(new Uint8Array(0));
    expect(q.size).toBe(9);
    // take() returns at most the first chunk, never a copy across chunks.
    expect([...q.take(3)!]).toEqual([99]);
    const head = q.take(2)!;
    expect([...head]).toEqual([0, 1]);
    expect(head.buffer).toBe(a.buffer);
    const view = new Uint8Array(4);
    expect(q.takeInto(view)).toBe(4);
    expect([...view]).toEqual([2, 3, 4, 5]);
    expect([...q.shift()!]).toEqual([6, 7]);
    expect(q.size).toBe(0);
    expect(q.take(1)).toBeUndefined();
  });
});

describe('SocketReadSide', () => {
  it('creates its stream on first access only, a byte stream', () => {
    const { read } = fakeSides();
    expect(read.buffered).toBe(0);
    const readable = read.readable;
    expect(read.readable).toBe(readable);
    expect(() => readable.getReader({ mode: 'byob' }).releaseLock()).not.toThrow();
  });

  it('a BYOB read takes exactly its view; the rest is read next, in order', async () => {
    const { read } = fakeSides();
    read.onData(range(0, 10));
    expect([...(await readByob(read.readable, 4))]).toEqual([0, 1, 2, 3]);
    expect(read.streamQueued).toBe(6);
    const reader = read.readable.getReader();
    expect([...(await reader.read()).value!]).toEqual([4, 5, 6, 7, 8, 9]);
    reader.releaseLock();
  });

  it('pauses the transport once its queue holds highWaterMark bytes, resumes once read below it', async () => {
    const { t, read } = fakeSides(8);
    read.onData(range(0, 5));
    expect(t.paused).toBe(false);
    read.onData(range(5, 9));
    expect(t.paused).toBe(true);
    const reader = read.readable.getReader();
    await reader.read();
    expect(t.paused).toBe(false);
    expect(t.resumes).toBe(1);
    reader.releaseLock();
  });

  it('EOF after the bytes before it, and at once for a read pending at the FIN', async () => {
    const { read } = fakeSides();
    read.onData(bytes(1, 2));
    read.onEnd();
    const reader = read.readable.getReader();
    expect([...(await reader.read()).value!]).toEqual([1, 2]);
    expect((await reader.read()).done).toBe(true);
    const other = fakeSides();
    const pending = other.read.readable.getReader().read();
    other.read.onEnd();
    expect((await pending).done).toBe(true);
  });

  it('cancel() resets the transport with the reason and drops what is queued', async () => {
    const { t, read } = fakeSides();
    read.onData(bytes(1));
    const reason = new Error('cancelled');
    await read.readable.cancel(reason);
    expect(t.resets).toEqual([reason]);
    expect(read.buffered).toBe(0);
    read.onData(bytes(2));
    expect(read.queue.size).toBe(0);
  });

  it("a failure errors the stream with the runtime's error, unless EOF came first", async () => {
    const { read } = fakeSides();
    const error = Object.assign(new Error('reset'), { code: 'ECONNRESET' });
    read.onError(error);
    await expect(read.readable.getReader().read()).rejects.toBe(error);
    const ended = fakeSides();
    ended.read.onData(bytes(7));
    ended.read.onEnd();
    ended.read.onError(error);
    const reader = ended.read.readable.getReader();
    expect([...(await reader.read()).value!]).toEqual([7]);
  });

  it('takes back what a released reader left queued, to the front, in order', async () => {
    const { read } = fakeSides();
    read.onData(range(0, 10));
    await readByob(read.readable, 3);
    read.onData(range(10, 12));
    expect(read.streamQueued).toBe(7);
    const reader = read.readable.getReader();
    read.claim();
    await read.takeBack(reader);
    expect(read.streamQueued).toBe(0);
    const all: number[] = [];
    for (let c = read.queue.shift(); c !== undefined; c = read.queue.shift()) all.push(...c);
    expect(all).toEqual([...range(3, 12)]);
  });

  it('unshift(): read first; refused while locked or leased, or while a partial read left bytes queued', async () => {
    const { read } = fakeSides();
    read.onData(bytes(3, 4));
    read.unshift(bytes(1, 2));
    const reader = read.readable.getReader();
    expect(() => read.unshift(bytes(0))).toThrow(expect.objectContaining({ code: 'ERR_SPLICE_BUSY' }));
    expect([...(await reader.read()).value!]).toEqual([1, 2]);
    reader.releaseLock();
    await readByob(read.readable, 1);
    expect(() => read.unshift(bytes(0))).toThrow(/partial read/);
    const lease = fakeSides().read;
    lease.lease();
    expect(() => lease.unshift(bytes(0))).toThrow(expect.objectContaining({ code: 'ERR_SPLICE_BUSY' }));
    expect(() => lease.unshift('x')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });

  it('a lease: refused twice and on a locked stream; a stream created meanwhile is locked; after release the next bytes in order', async () => {
    const { read } = fakeSides();
    const lease = read.lease()!;
    expect(lease).toBeDefined();
    expect(read.lease()).toBeUndefined();
    read.onData(bytes(1, 2));
    expect(read.readable.locked).toBe(true);
    lease.release();
    expect(read.readable.locked).toBe(false);
    const reader = read.readable.getReader();
    expect([...(await reader.read()).value!]).toEqual([1, 2]);
    expect(read.lease()).toBeUndefined();
    reader.releaseLock();
    expect(read.lease()).toBeDefined();
  });
});
