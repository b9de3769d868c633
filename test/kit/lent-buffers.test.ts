/**
 * The read buffers a direct run borrows between two pull-based transports
 * (@sosplice/core/socket, read-buffers.ts): the run writes the source's own
 * read buffer, as a hand-written read/write loop does, and the source reads
 * into it again only once that write settled. The kit's ownership rule
 * still holds: bytes a reader got, or that wait in the source's queue, are
 * never overwritten by a later read. Over the kit-pull harness, whose
 * writes copy the bytes only after a macrotask (and 1,500 at a time), so a
 * buffer read into too early shows as wrong bytes at the peer.
 */
import { describe, expect, it } from 'vitest';
import { spliceStreams } from '@sosplice/core';
import { createSocketDirectProvider, PullTransport, type PullSocket } from '@sosplice/core/socket';
import { KitEndpoint, kitEndpoint } from '../harness/kit';
import { concat, expectBytes, pattern, until, withTimeout } from '../harness/_util';

const T = 5_000;

function pullPair() {
  return { a: kitEndpoint({ direct: true, pull: true }), b: kitEndpoint({ direct: true, pull: true }) };
}

describe('lent read buffers (kit-pull)', () => {
  it('a stalled drain: the source reads on into its other buffer while a write waits, and every byte arrives as sent', async () => {
    const { a, b } = pullPair();
    b.peer.stall();
    const splice = spliceStreams(a.endpoint.readable, b.endpoint.writable);
    const sent = pattern(40_000, 7);
    void a.peer.write(sent);
    // A chunk waits behind the one in flight: the source read again while the first buffer was being written.
    await until(() => b.endpoint.writeSide.outbox.size > 0, T, 'a read completed during a pending write');
    b.peer.resume();
    await withTimeout(b.peer.receivedAtLeast(sent.byteLength), T, 'every byte at the peer');
    expectBytes(b.peer.received(), sent, 'what the drain wrote');
    splice.unsplice();
    await withTimeout(splice.done, T, 'unsplice');
  });

  it("max's tail waits in the source's queue as a copy: reads into the lent buffer, once given back, leave it intact", async () => {
    // A mark far above what is sent: the source's stream reads on while the tail waits in its queue.
    const a = kitEndpoint({ direct: true, pull: true, highWaterMark: 65_536 });
    const b = kitEndpoint({ direct: true, pull: true });
    const sent = pattern(6_144, 3);
    await a.peer.write(sent);
    // The last read (into a 4,096-byte buffer, lent) is split at max: its tail goes back to the queue.
    const first = spliceStreams(a.endpoint.readable, b.endpoint.writable, { max: 3_000 });
    expect(await withTimeout(first.done, T, 'max')).toEqual({ reason: 'max', bytes: 3_000 });
    // The head is written: its buffer is given back, and the source's next reads may use it.
    await withTimeout(b.peer.receivedAtLeast(3_000), T, 'the head at the peer');
    const more = pattern(20_000, 4);
    await a.peer.write(more);
    await until(() => a.endpoint.readableBuffered >= sent.byteLength - 3_000 + more.byteLength, T, 'everything read into the queue');
    const reader = a.endpoint.readable.getReader();
    const got: Uint8Array[] = [];
    for (let n = 0; n < sent.byteLength - 3_000 + more.byteLength; ) {
      const { value, done } = await withTimeout(reader.read(), T, 'the queue through a reader');
      if (done) throw new Error(`EOF after ${n} bytes`);
      got.push(value);
      n += value.byteLength;
    }
    expectBytes(concat(...got), concat(sent.subarray(3_000), more), "the tail past max, then what the source's stream read after it");
    reader.releaseLock();
  });

  it('bytes a reader holds stay as read while a later splice reads into the lent buffers', async () => {
    const { a, b } = pullPair();
    const sent = pattern(10_000, 5);
    await a.peer.write(sent);
    const first = spliceStreams(a.endpoint.readable, b.endpoint.writable, { max: 3_000 });
    expect(await withTimeout(first.done, T, 'max')).toEqual({ reason: 'max', bytes: 3_000 });
    const reader = a.endpoint.readable.getReader();
    const held: Uint8Array[] = [];
    for (let got = 3_000; got < sent.byteLength; ) {
      const { value, done } = await withTimeout(reader.read(), T, 'the rest through a reader');
      if (done) throw new Error(`EOF after ${got} bytes`);
      held.push(value);
      got += value.byteLength;
    }
    reader.releaseLock();
    const second = spliceStreams(a.endpoint.readable, b.endpoint.writable);
    const more = pattern(60_000, 6);
    for (let at = 0; at < more.byteLength; at += 10_000) await a.peer.write(more.subarray(at, at + 10_000));
    await withTimeout(b.peer.receivedAtLeast(3_000 + more.byteLength), T, 'the second splice at the peer');
    expectBytes(concat(...held), sent.subarray(3_000), "the reader's chunks after 60,000 more bytes were read");
    expectBytes(b.peer.received(), concat(sent.subarray(0, 3_000), more), 'what the drain wrote');
    second.unsplice();
    await withTimeout(second.done, T, 'unsplice');
  });
});

/** A pull socket that always has bytes to read (recording each read's size) and whose writes take two macrotasks. */
function busySocket(total: number): { socket: PullSocket; reads: number[]; written: () => number } {
  const reads: number[] = [];
  let left = total;
  let written = 0;
  const socket: PullSocket = {
    async read(view) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      reads.push(view.byteLength);
      if (left === 0) return null;
      const n = Math.min(view.byteLength, left);
      view.fill(7, 0, n);
      left -= n;
      return n;
    },
    async write(bytes) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      await new Promise((resolve) => setTimeout(resolve, 0));
      written += bytes.byteLength;
      return bytes.byteLength;
    },
    closeWrite: async () => {},
    reset: () => {},
  };
  return { socket, reads, written: () => written };
}

describe('PullTransport under a direct run', () => {
  it('a run blocked by every byte its watch read brings still reads full buffers: one 1-byte read per pause, no 1-byte livelock', async () => {
    const provider = createSocketDirectProvider();
    const total = 256 * 1024;
    const src = busySocket(total);
    const dst = busySocket(0);
    const endpoint = (socket: PullSocket) => {
      const transport = new PullTransport(socket, { readSize: 4096, idleReadSize: 1024 });
      const e = new KitEndpoint(transport, 4096, provider, true);
      transport.attach(e.readSide, e.writeSide);
      return e;
    };
    const a = endpoint(src.socket);
    const b = endpoint(dst.socket);
    const splice = spliceStreams(a.readable, b.writable);
    await until(() => dst.written() === total, 20_000, `all ${total} bytes written (${dst.written()} so far, ${src.reads.length} reads)`);
    const ones = src.reads.filter((size) => size === 1).length;
    const full = src.reads.filter((size) => size === 4096).length;
    // Each 1-byte read is the watch of one pause, and a pause follows a full read the drain had no room for.
    expect(ones, `${ones} 1-byte reads beside ${full} of 4 KiB`).toBeLessThanOrEqual(full + 1);
    expect(await withTimeout(splice.done, T, 'EOF')).toEqual({ reason: 'eof', bytes: total });
  });
});
