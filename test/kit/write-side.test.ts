/** The socket kit's write side (@sosplice/core/socket): docs/adapters.md#the-streams over a fake transport. */
import { describe, expect, it } from 'vitest';
import { SocketClosedError } from '@sosplice/core/socket';
import { bytes, fakeSides, range } from './_fake';

const settled = async (promise: Promise<unknown>): Promise<boolean> => {
  let done = false;
  promise.then(
    () => void (done = true),
    () => void (done = true),
  );
  for (let i = 0; i < 10; i++) await Promise.resolve();
  return done;
};

describe('SocketWriteSide', () => {
  it('write() resolves once the transport took every byte; partial writes complete in order, before newer bytes', async () => {
    const { t, write } = fakeSides(64);
    const writer = write.writable.getWriter();
    t.takes = 3;
    const first = writer.write(range(0, 8));
    expect(await settled(first)).toBe(false);
    expect(write.buffered).toBe(5);
    const second = writer.write(range(8, 10));
    t.takes = 4;
    write.onWritable();
    expect(await settled(first)).toBe(false);
    t.takes = Number.POSITIVE_INFINITY;
    write.onWritable();
    await first;
    await second;
    expect(t.written).toEqual([...range(0, 10)]);
    expect(write.buffered).toBe(0);
  });

  it('counts its queue in bytes: ready waits above highWaterMark bytes', async () => {
    const { t, write } = fakeSides(10);
    t.takes = 0;
    const writer = write.writable.getWriter();
    void writer.write(range(0, 6)).catch(() => {});
    void writer.write(range(6, 12)).catch(() => {});
    expect(writer.desiredSize).toBeLessThanOrEqual(0);
    expect(write.buffered).toBe(12);
    t.takes = Number.POSITIVE_INFINITY;
    write.onWritable();
    await writer.ready;
    expect(t.written.length).toBe(12);
  });

  it('close() is shutdown() after the outbox; abort() resets', async () => {
    const { t, write } = fakeSides();
    const writer = write.writable.getWriter();
    t.takes = 1;
    void writer.write(bytes(1, 2)).catch(() => {});
    const closing = writer.close();
    await Promise.resolve();
    expect(t.shutdowns).toBe(0);
    t.takes = Number.POSITIVE_INFINITY;
    write.onWritable();
    await closing;
    expect(t.shutdowns).toBe(1);
    expect(write.phase).toBe('closed');
    const other = fakeSides();
    const reason = new Error('abort');
    await other.write.writable.abort(reason);
    expect(other.t.resets).toEqual([reason]);
  });

  it("a failure rejects the pending write with the runtime's error; later writes too", async () => {
    const { t, write } = fakeSides();
    t.takes = 0;
    const writer = write.writable.getWriter();
    const pending = writer.write(bytes(1));
    const error = Object.assign(new Error('reset'), { code: 'ECONNRESET' });
    write.onError(error);
    await expect(pending).rejects.toBe(error);
    await expect(writer.write(bytes(2))).rejects.toBe(error);
  });

  it('a lease: a writable created meanwhile is locked; after a lease close() it is closed', async () => {
    const { t, write } = fakeSides();
    const lease = write.lease()!;
    expect(write.lease()).toBeUndefined();
    expect(write.writable.locked).toBe(true);
    await lease.close();
    lease.release();
    expect(t.shutdowns).toBe(1);
    expect(write.writable.locked).toBe(false);
    // A TypeError by the spec; Node 20's WritableStream throws an internal assertion here, synchronously.
    await expect((async () => write.writable.getWriter().write(bytes(1)))()).rejects.toThrow();
    const fresh = fakeSides();
    const l2 = fresh.write.lease()!;
    await l2.close();
    l2.release();
    // Created after the close: closed too.
    await expect((async () => fresh.write.writable.getWriter().write(bytes(1)))()).rejects.toThrow();
    expect(fresh.t.written).toEqual([]);
    expect(fresh.write.closedError()).toBeInstanceOf(SocketClosedError);
  });

  it('a transport that throws on write fails the side with its error', async () => {
    const { t, write } = fakeSides();
    const error = Object.assign(new Error('broken pipe'), { code: 'EPIPE' });
    t.write = () => {
      throw error;
    };
    const writer = write.writable.getWriter();
    await expect(writer.write(bytes(1))).rejects.toBe(error);
    expect(write.phase).toBe('errored');
    expect(write.closedError()).toBe(error);
  });

  it('abort() resets at once, even while a write waits for a stalled peer', async () => {
    const { t, write } = fakeSides();
    t.takes = 0;
    const writer = write.writable.getWriter();
    const pending = writer.write(bytes(1, 2, 3));
    pending.catch(() => {});
    const reason = new Error('abort');
    const aborting = writer.abort(reason);
    await Promise.resolve();
    // Where the runtime's controller has an abort signal (all current ones), the reset does not wait for the write.
    const controller = (globalThis as { WritableStreamDefaultController?: { prototype: object } }).WritableStreamDefaultController;
    if (controller !== undefined && 'signal' in controller.prototype) expect(t.resets).toEqual([reason]);
    await aborting;
    expect(t.resets).toEqual([reason]);
    await expect(pending).rejects.toBe(reason);
  });
});
