/** The kit's PullTransport (@sosplice/core/socket): a pull-based socket in the kit's push model. */
import { describe, expect, it } from 'vitest';
import { PullTransport, SocketReadSide, SocketWriteSide, type PullSocket } from '@sosplice/core/socket';
import { until } from '../harness/_util';

/** A pull socket whose reads return what the test queues, and whose writes take 2 bytes at a time. */
function fakePull() {
  const reads: number[] = [];
  const queued: Uint8Array[] = [];
  let wake: (() => void) | undefined;
  const written: number[] = [];
  const socket: PullSocket = {
    async read(view) {
      reads.push(view.byteLength);
      while (queued.length === 0) await new Promise<void>((resolve) => (wake = resolve));
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
    closeWrite: async () => {},
    reset: () => {},
  };
  const push = (...values: number[]) => {
    queued.push(Uint8Array.from(values));
    wake?.();
  };
  const transport = new PullTransport(socket, 64);
  const read = new SocketReadSide(transport, 4, undefined, true);
  const write = new SocketWriteSide(transport, 64);
  transport.attach(read, write);
  return { transport, read, write, reads, push, written };
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
});
