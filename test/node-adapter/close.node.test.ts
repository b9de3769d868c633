/**
 * `close()` (docs/adapters.md#closing, SPEC 6) over real loopback sockets:
 * FIN after the bytes already queued, reads stop, resolves once the peer
 * finished too or after a bounded linger, never rejects; and a splice
 * through a closed socket ends with a clear reason on every path.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spliceBidirectional, spliceStreams } from '@sosplice/core';
import { SocketClosedError } from '@sosplice/node-adapter';
import { NodeLoopback, type NodePair } from '../harness/node';
import { kernelAvailable } from '../harness/_kernel';
import { expectBytes, pattern, readToEnd, text, until, withTimeout } from '../harness/_util';

const T = 20_000;
const MiB = 1 << 20;

/** Writes `bytes` in 1 MiB chunks without waiting: some in Node's buffer, the rest in the writable's queue. */
function queue(pair: NodePair, bytes: Uint8Array): Promise<unknown> {
  const writer = pair.endpoint.writable.getWriter();
  const writes: Promise<void>[] = [];
  for (let at = 0; at < bytes.byteLength; at += MiB) writes.push(writer.write(bytes.subarray(at, at + MiB)));
  writer.releaseLock();
  return Promise.allSettled(writes);
}

/** The peer reads slowly: one chunk, then a pause of `ms`, until our FIN; then it ends too. */
function readSlowly(socket: net.Socket, ms: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  return new Promise((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      parts.push(chunk);
      socket.pause();
      setTimeout(() => socket.resume(), ms);
    });
    socket.once('end', () => {
      socket.end();
      resolve(Buffer.concat(parts));
    });
    socket.resume();
  });
}

describe('close()', () => {
  let loop: NodeLoopback;
  let quick: NodeLoopback;
  beforeAll(async () => {
    loop = await NodeLoopback.listen({ direct: true, linger: T });
    quick = await NodeLoopback.listen({ direct: true, linger: 300 });
  });
  afterAll(async () => {
    await loop.close();
    await quick.close();
  });

  // Regression: close() destroyed the socket at once; a slow reader behind 16 MiB of queued bytes got none of them.
  it('sends FIN after the 16 MiB already queued: a slow reader receives all 16,777,216 bytes', async () => {
    const pair = await loop.pair();
    pair.peer.stall();
    const data = pattern(16 * MiB, 7);
    const written = queue(pair, data);
    await until(() => pair.endpoint.writableBuffered > 8 * MiB, T, 'bytes queued behind the stalled peer');
    const closing = pair.endpoint.close();
    const received = readSlowly(pair.peerSocket, 1);
    const got = await withTimeout(received, T, 'the slow reader reaching our FIN');
    expect(got.byteLength).toBe(16_777_216);
    expectBytes(got, data);
    await withTimeout(closing, T, 'close() once the peer finished too');
    await withTimeout(pair.endpoint.closed, T, 'closed resolves');
    await written;
  });

  it('resolves within the linger when the peer never reads nor closes, and destroys the socket', async () => {
    const pair = await quick.pair();
    pair.peer.stall();
    void queue(pair, pattern(16 * MiB));
    await until(() => pair.endpoint.writableBuffered > 8 * MiB, T, 'bytes queued behind the stalled peer');
    const started = performance.now();
    await withTimeout(pair.endpoint.close(), T, 'close() within linger');
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(10_000);
    expect(pair.endpoint.socket.destroyed).toBe(true);
    // A linger that ran out is how close() ends, not a failure.
    await expect(pair.endpoint.closed).resolves.toBeUndefined();
  });

  it('resolves as soon as the peer answers our FIN with its own', async () => {
    const pair = await loop.pair();
    pair.peerSocket.once('end', () => pair.peerSocket.end());
    const started = performance.now();
    await withTimeout(pair.endpoint.close(), T, 'close()');
    expect(performance.now() - started).toBeLessThan(T / 2);
    await withTimeout(pair.peer.ended(), T, 'peer saw our FIN');
    expect(pair.endpoint.socket.destroyed).toBe(true);
  });

  it('after a peer reset: close() resolves, closed rejects with ECONNRESET', async () => {
    const pair = await loop.pair();
    void pair.endpoint.readable.getReader().read().catch(() => {});
    await pair.peer.reset();
    await expect(withTimeout(pair.endpoint.closed, T, 'closed')).rejects.toMatchObject({ code: 'ECONNRESET' });
    await expect(withTimeout(pair.endpoint.close(), T, 'close()')).resolves.toBeUndefined();
  });

  it('twice: both calls resolve', async () => {
    const pair = await quick.pair();
    const [a, b] = [pair.endpoint.close(), pair.endpoint.close()];
    await expect(withTimeout(Promise.all([a, b]), T, 'both close() calls')).resolves.toEqual([undefined, undefined]);
    await expect(pair.endpoint.close()).resolves.toBeUndefined();
  });

  it('stops reads (readable at EOF) and refuses later writes with SocketClosedError', async () => {
    const pair = await quick.pair();
    await pair.peer.write(text('unread'));
    const closing = pair.endpoint.close();
    expect(await readToEnd(pair.endpoint.readable, T)).toHaveLength(0);
    const writer = pair.endpoint.writable.getWriter();
    await expect(writer.write(text('late'))).rejects.toBeInstanceOf(SocketClosedError);
    await closing;
  });

  it('with linger 0 destroys the socket at once', async () => {
    const zero = await NodeLoopback.listen({ direct: true, linger: 0 });
    try {
      const pair = await zero.pair();
      pair.peer.stall();
      void queue(pair, pattern(4 * MiB));
      await pair.endpoint.close();
      expect(pair.endpoint.socket.destroyed).toBe(true);
    } finally {
      await zero.close();
    }
  });

  // Regression: when writes were corked until the next tick, a close() in the
  // same tick destroyed the socket with them still in Node's buffer, and an
  // HTTP gateway's last response vanished. Bytes written before close() go first.
  it('delivers what was written in the same tick before it', async () => {
    const pair = await quick.pair();
    const writer = pair.endpoint.writable.getWriter();
    const data = pattern(1000, 3);
    void writer.write(data);
    writer.releaseLock();
    void pair.endpoint.close();
    await withTimeout(pair.peer.receivedAtLeast(data.byteLength), T, 'the peer receiving the bytes written before close()');
    await withTimeout(pair.peer.ended(), T, 'then our FIN');
    expectBytes(pair.peer.received(), data);
  });
});

const paths = [
  { name: 'generic', direct: false, kernel: false },
  { name: 'direct', direct: true, kernel: false },
  ...(kernelAvailable() ? [{ name: 'kernel', direct: true, kernel: true }] : []),
];

describe.each(paths)('close() during a splice, $name path', ({ direct, kernel }) => {
  let loop: NodeLoopback;
  beforeAll(async () => {
    loop = await NodeLoopback.listen({ direct, kernel, linger: 500 });
  });
  afterAll(() => loop.close());

  it('ends both directions: eof from the closed socket, an ERR_SOCKET_CLOSED error into it', async () => {
    const [a, b] = await Promise.all([loop.pair(), loop.pair()]);
    const pair = spliceBidirectional(a.endpoint, b.endpoint);
    // Bytes flow both ways first, so each direction is running when close() comes.
    await a.peer.write(text('to b'));
    await b.peer.write(text('to a'));
    await withTimeout(b.peer.receivedAtLeast(4), T, 'a to b');
    await withTimeout(a.peer.receivedAtLeast(4), T, 'b to a');
    void a.endpoint.close();
    const [ab, ba] = await withTimeout(pair.done, T, 'pair.done after close()');
    expect(ba).toMatchObject({ reason: 'error', bytes: 4 });
    // From the closed socket: EOF; its FIN to b then meets b cancelled by the
    // error of the other direction (SPEC 5: a drain's error cancels the source).
    expect(ab.bytes).toBe(4);
    if (ab.reason !== 'eof') expect(ab).toMatchObject({ reason: 'error', error: { code: 'ERR_SOCKET_CLOSED' } });
    expect(ba.error).toBeInstanceOf(SocketClosedError);
    expect(ba.error).toMatchObject({ code: 'ERR_SOCKET_CLOSED', message: expect.stringContaining('close()') });
    // The closed socket's peer got what was sent before, then FIN.
    await withTimeout(a.peer.ended(), T, "a's peer sees FIN");
    expectBytes(a.peer.received(), text('to a'));
  });

  // Regression: the closed socket's EOF closes the other drain while the other direction's error has just
  // reset it ('close' still to come): Node never calls back an end() on such a socket, and the splice hung.
  it('a splice reaching EOF into a drain reset in the same tick ends with the reset reason', async () => {
    const [a, b] = await Promise.all([loop.pair(), loop.pair()]);
    await a.peer.end();
    await until(() => a.endpoint.socket.readableEnded, T, "a's 'end', before the splice");
    const reason = new Error('the other direction failed');
    void b.endpoint.readable.cancel(reason);
    const s = spliceStreams(a.endpoint.readable, b.endpoint.writable);
    await expect(withTimeout(s.done, T, 'done after EOF into a reset drain')).resolves.toMatchObject({ reason: 'error', error: reason });
  });

  it('a one-way splice into a closed drain ends with ERR_SOCKET_CLOSED, the bytes before it delivered', async () => {
    const [a, b] = await Promise.all([loop.pair(), loop.pair()]);
    const s = spliceStreams(a.endpoint.readable, b.endpoint.writable);
    await a.peer.write(text('before'));
    await withTimeout(b.peer.receivedAtLeast(6), T, 'bytes before close()');
    void b.endpoint.close();
    const result = await withTimeout(s.done, T, 'done after close()');
    expect(result).toMatchObject({ reason: 'error', bytes: 6 });
    expect(result.error).toMatchObject({ code: 'ERR_SOCKET_CLOSED' });
    await withTimeout(b.peer.ended(), T, "drain's peer sees FIN");
    expectBytes(b.peer.received(), text('before'));
  });
});
