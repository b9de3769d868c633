/**
 * The adapter's streams on their own (docs/adapters.md): byte readable with
 * backpressure, byte-counted writable, FIN as a half-close, EOF that leaves
 * the write side open, abort/cancel destroy, a reset surfaces ECONNRESET.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spliceStreams } from '@sosplice/core';
import { wrap } from '@sosplice/node-adapter';
import { NodeLoopback } from '../harness/node';
import { expectBytes, pattern, readAtLeast, readToEnd, text, until, withTimeout } from '../harness/_util';
import { listen } from './_pairs';

const T = 5_000;
let loop: NodeLoopback;
beforeAll(async () => {
  loop = await NodeLoopback.listen({ direct: true });
});
afterAll(() => loop.close());

describe('readable', () => {
  it('is a byte stream: a BYOB read of 10 bytes takes 10 and leaves the rest', async () => {
    const { endpoint, peer } = await loop.pair();
    const data = pattern(100);
    await peer.write(data);
    await until(() => endpoint.readableBuffered >= 100, T, '100 bytes buffered');
    const reader = endpoint.readable.getReader({ mode: 'byob' });
    const { value } = await reader.read(new Uint8Array(10));
    expectBytes(value!, data.subarray(0, 10));
    reader.releaseLock();
    expectBytes(await readAtLeast(endpoint.readable, 90, T), data.subarray(10));
  });

  it('stops reading from the socket when its buffer is full (real backpressure)', async () => {
    const { endpoint, peer, peerSocket } = await loop.pair();
    const chunk = pattern(1 << 20);
    // The peer writes 8 MiB into a reader that reads nothing; Node's
    // buffers and ours stay bounded, the rest waits in the kernel / the peer.
    for (let i = 0; i < 8; i++) peerSocket.write(chunk);
    await until(() => endpoint.readableBuffered >= 65536, T, 'the adapter buffered its high-water mark');
    await until(() => peerSocket.writableLength > 0, T, 'the peer is pushed back');
    expect(endpoint.readableBuffered).toBeLessThanOrEqual(65536 + 65536 + (1 << 16) * 2);
    const all = await readAtLeast(endpoint.readable, 8 << 20, 20_000);
    expect(all.byteLength).toBe(8 << 20);
    void peer;
  });

  it('reaching EOF does not close our write side: the peer still gets an answer', async () => {
    const { endpoint, peer } = await loop.pair();
    await peer.write(text('question'));
    await peer.end();
    expectBytes(await readToEnd(endpoint.readable, T), text('question'));
    const writer = endpoint.writable.getWriter();
    await writer.write(text('answer'));
    await writer.close();
    await withTimeout(peer.ended(), T, 'peer saw our FIN');
    expectBytes(peer.received(), text('answer'));
    await withTimeout(endpoint.closed, T, 'closed once both directions finished');
  });

  it('cancel() destroys the socket', async () => {
    const { endpoint, peer } = await loop.pair();
    await endpoint.readable.cancel(new Error('bye'));
    await withTimeout(peer.aborted(), T, 'socket destroyed');
    expect(endpoint.socket.destroyed).toBe(true);
  });

  // Regression: Node never calls end()'s callback on a socket destroyed (without an error) before it,
  // and the socket's own 'close' comes too late for a close already waiting: a bidirectional splice
  // whose drain was reset by the other direction hung at its EOF, kernel path, under load.
  it('writable.close() right after cancel() destroyed the socket rejects with the reason, never hangs', async () => {
    const { endpoint } = await loop.pair();
    const reason = new Error('bye');
    await endpoint.readable.cancel(reason);
    expect(endpoint.socket.destroyed).toBe(true);
    await expect(withTimeout(endpoint.writable.close(), T, 'close() after cancel()')).rejects.toBe(reason);
  });

  it('a peer reset surfaces as an error with code ECONNRESET', async () => {
    const { endpoint, peer } = await loop.pair();
    const reader = endpoint.readable.getReader();
    const read = reader.read();
    const isReset = await peer.reset();
    const error = await withTimeout(read.then(() => undefined, (e: unknown) => e), T, 'read fails');
    expect(isReset(error)).toBe(true);
    expect((error as { code?: string }).code).toBe('ECONNRESET');
    await expect(endpoint.closed).rejects.toMatchObject({ code: 'ECONNRESET' });
  });
});

/**
 * Sockets the peer half-closed before we wrapped them (a server that read a
 * request up to FIN, then hands the socket on). Regression: when 'end' had
 * fired already the readable never ended.
 */
describe('a socket wrapped after the peer sent FIN', () => {
  let server: net.Server;
  let port: number;
  const accepted: net.Socket[] = [];
  /** Both ends of every connection, destroyed at the end whatever a test left. */
  const open: net.Socket[] = [];
  beforeAll(async () => {
    server = net.createServer({ allowHalfOpen: true }, (s) => (accepted.push(s), open.push(s)));
    port = await listen(server);
  });
  afterAll(async () => {
    for (const s of open) s.destroy();
    await new Promise((r) => server.close(r));
  });

  /** A raw client whose peer (the accepted socket) wrote `bytes` then FIN; `consume` reads it all, up to 'end'. */
  async function halfOpen(bytes: Uint8Array, consume: boolean): Promise<{ socket: net.Socket; peer: net.Socket }> {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    open.push(socket);
    socket.pause();
    await new Promise((r) => socket.once('connect', r));
    await until(() => accepted.length > 0, T, 'accept');
    const peer = accepted.shift()!;
    peer.end(bytes);
    if (consume) {
      const ended = new Promise((r) => socket.once('end', r));
      socket.resume();
      await withTimeout(ended, T, "the peer's FIN");
      socket.pause();
      expect(socket.readableEnded).toBe(true);
    } else {
      // A paused socket reads the kernel only when asked: read(0) fills Node's buffer, FIN included.
      socket.read(0);
      await until(() => socket.readableLength >= bytes.byteLength, T, 'bytes buffered in the socket');
    }
    return { socket, peer };
  }

  it("reads EOF when 'end' already fired, and the write side still reaches the peer", async () => {
    const { socket, peer } = await halfOpen(text('request'), true);
    const endpoint = wrap(socket);
    expect(await readToEnd(endpoint.readable, T)).toHaveLength(0);
    const got: Buffer[] = [];
    peer.on('data', (chunk: Buffer) => got.push(chunk));
    const peerEnded = new Promise((r) => peer.once('end', r));
    const writer = endpoint.writable.getWriter();
    await writer.write(text('answer'));
    await writer.close();
    await withTimeout(peerEnded, T, 'peer sees our FIN');
    expectBytes(Buffer.concat(got), text('answer'));
    await withTimeout(endpoint.closed, T, 'closed once both directions finished');
  });

  it('reads the bytes still buffered in the socket, then EOF', async () => {
    const { socket } = await halfOpen(text('buffered before FIN'), false);
    const endpoint = wrap(socket);
    expectBytes(await readToEnd(endpoint.readable, T), text('buffered before FIN'));
    await endpoint.close();
  });

  it("ends a direct splice from it with eof at once", async () => {
    const drainLoop = await NodeLoopback.listen({ direct: true });
    try {
      const { socket } = await halfOpen(text('request'), true);
      const source = wrap(socket);
      const { endpoint: drain, peer } = await drainLoop.pair();
      const s = spliceStreams(source.readable, drain.writable);
      expect(await withTimeout(s.done, T, 'done')).toEqual({ reason: 'eof', bytes: 0 });
      await withTimeout(peer.ended(), T, 'EOF passed on as FIN');
      await source.close();
    } finally {
      await drainLoop.close();
    }
  });
});

describe('writable', () => {
  it('counts its queue in bytes and waits for drain when the peer stalls', async () => {
    const { endpoint, peer } = await loop.pair();
    peer.stall();
    const writer = endpoint.writable.getWriter();
    const chunk = pattern(1 << 20);
    // One MiB exceeds the 64 KiB high-water mark in bytes at once.
    void writer.write(chunk).catch(() => {});
    expect(writer.desiredSize).toBeLessThanOrEqual(0);
    let accepted = 0;
    for (let i = 0; i < 64 && (await Promise.race([writer.ready.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 50))])); i++) {
      void writer.write(chunk).catch(() => {});
      accepted++;
    }
    // Kernel buffers take some MiB, then the writable pushes back.
    expect(accepted).toBeLessThan(64);
    expect(endpoint.writableBuffered).toBeGreaterThan(0);
    peer.resume();
    await withTimeout(writer.close(), 20_000, 'close after drain');
    await withTimeout(peer.ended(), T, 'FIN');
    expect(peer.received().byteLength).toBe((accepted + 1) << 20);
  });

  it('close() is a half-close: the peer can still answer', async () => {
    const { endpoint, peer, peerSocket } = await loop.pair();
    const writer = endpoint.writable.getWriter();
    await writer.write(text('ping'));
    await writer.close();
    await withTimeout(peer.ended(), T, 'peer saw FIN');
    peerSocket.end(text('pong'));
    expectBytes(await readToEnd(endpoint.readable, T), text('pong'));
  });

  it('abort() destroys the socket', async () => {
    const { endpoint, peer } = await loop.pair();
    await endpoint.writable.abort(new Error('stop'));
    await withTimeout(peer.aborted(), T, 'socket destroyed');
  });

  it('refuses chunks that are not Uint8Array', async () => {
    const { endpoint } = await loop.pair();
    const writer = endpoint.writable.getWriter();
    await expect(writer.write('text' as unknown as Uint8Array)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });
});
