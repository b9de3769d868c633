/** The kit's PullTransport (@sosplice/core/socket): a pull-based socket in the kit's push model. */
import { describe, expect, it } from 'vitest';
import { PullTransport, SocketReadSide, SocketWriteSide, type PullSocket, type PullTransportOptions } from '@sosplice/core/socket';
import { until } from '../harness/_util';

/** A pull socket whose reads return what the test queues, and whose writes take 2 bytes at a time. */
function fakePull(options: PullTransportOptions | number = 64) {
  const reads: number[] = [];
  const queued: Uint8Array[] = [];
  let wake: (() => void) | undefined;
  let eof = false;
  const written: number[] = [];
  const life: string[] = [];
  const socket: PullSocket = {
    async read(view) {
      reads.push(view.byteLength);
      while (queued.length === 0 && !eof) await new Promise<void>((resolve) => (wake = resolve));
      if (queued.length === 0) return null;
      const head = queued.shift()!;
      const n = Math.min(head.byteLength, view.byteLength);
      view.set(head.subarray(0, n));
      if (n < head.byteLength) queued.unshift(head.subarray(n));
      return n;
    },
    async write(bytes) {
      await Promise.resolve();
      const n = Math.min(2, bytes.byteLength);
      written.push(...bytes.subarray(0, n));
      return n;
    },
    closeWrite: async () => void life.push('fin'),
    reset: () => void life.push('reset'),
    close: () => void life.push('close'),
  };
  const push = (...values: number[]) => {
    queued.push(Uint8Array.from(values));
    wake?.();
  };
  const end = () => {
    eof = true;
    wake?.();
  };
  const transport = new PullTransport(socket, options);
  const read = new SocketReadSide(transport, 4, undefined, true);
  const write = new SocketWriteSide(transport, 64);
  transport.attach(read, write);
  return { transport, read, write, reads, push, written, life, end };
}

describe('PullTransport', () => {
  it('while paused keeps one 1-byte read pending, once per pause: no creeping past the mark', async () => {
    const { transport, read, reads, push } = fakePull();
    transport.watch();
    await until(() => reads.length === 1, 5_000, 'the watch read');
    expect(reads).toEqual([1]);
    push(1, 2, 3);
    await until(() => read.queue.size === 1, 5_000, 'the watched byte queued');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(reads, 'no second watch read in the same pause').toEqual([1]);
    // A reader resumes it: full-size reads, until the side's mark pauses it again.
    const reader = read.readable.getReader();
    expect([...(await reader.read()).value!]).toEqual([1]);
    expect([...(await reader.read()).value!]).toEqual([2, 3]);
    expect(reads.slice(1, 2)).toEqual([64]);
  });

  it('writes a chunk whole, partial writes finished in order; the next waits for onWritable', async () => {
    const { write, written } = fakePull();
    const writer = write.writable.getWriter();
    await Promise.all([writer.write(Uint8Array.from([1, 2, 3, 4, 5])), writer.write(Uint8Array.from([6, 7]))]);
    await until(() => written.length === 7, 5_000, 'both chunks written');
    expect(written).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('waits with the idle buffer, switches to readSize while reads fill it, and back after a short read', async () => {
    const { transport, read, reads, push } = fakePull({ readSize: 16, idleReadSize: 4 });
    const reader = read.readable.getReader();
    transport.resume();
    await until(() => reads.length === 1, 5_000, 'the first read');
    expect(reads, 'an idle socket waits with the small buffer').toEqual([4]);
    push(...Array.from({ length: 4 }, (_, i) => i));
    await until(() => reads.length === 2, 5_000, 'the second read');
    expect(reads[1], 'the small buffer filled: data flows, readSize').toBe(16);
    push(9, 9);
    await until(() => reads.length === 3, 5_000, 'the third read');
    expect(reads[2], 'a read the small buffer would have held: back to it').toBe(4);
    expect([...(await reader.read()).value!]).toEqual([0, 1, 2, 3]);
    const short = (await reader.read()).value!;
    expect([...short]).toEqual([9, 9]);
    expect(short.buffer.byteLength, 'a short read is copied out, pinning no 16-byte buffer').toBe(2);
  });

  it('close(): the queued bytes, then the FIN, then reads dropped until the peer FIN, then the socket closed', async () => {
    const { transport, write, written, life, push, end } = fakePull();
    const writer = write.writable.getWriter();
    void writer.write(Uint8Array.from([1, 2, 3, 4, 5]));
    writer.releaseLock();
    const closing = transport.close(5_000);
    expect(transport.closing).toBe(true);
    await until(() => life.includes('fin'), 5_000, 'the FIN');
    expect(written, 'the queued bytes went out before the FIN').toEqual([1, 2, 3, 4, 5]);
    expect(transport.socketClosed, 'lingers for the peer FIN').toBe(false);
    push(7);
    end();
    await closing;
    await transport.closed;
    expect(life.at(-1)).toBe('close');
    expect(transport.socketClosed).toBe(true);
  });

  it('close() with a peer that never sends FIN: destroyed after linger, never rejects', async () => {
    const { transport, life } = fakePull();
    transport.watch();
    const t0 = Date.now();
    await expect(transport.close(50)).resolves.toBeUndefined();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(40);
    expect(life).toEqual(['fin', 'close']);
    await expect(transport.closed).resolves.toBeUndefined();
  });
});
