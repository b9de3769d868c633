/**
 * The adapter's streams on their own (SPEC.md section 6): byte readable with
 * backpressure, byte-counted writable, FIN as a half-close, EOF that leaves
 * the write side open, abort/cancel destroy, a reset surfaces ECONNRESET.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromNodeSocket } from '@sosplice/node-adapter';
import { NodeLoopback } from '../harness/node';
import { expectBytes, pattern, readAtLeast, readToEnd, text, until, withTimeout } from '../harness/_util';

const T = 5_000;
let loop: NodeLoopback;
beforeAll(async () => {
  loop = await NodeLoopback.listen({ direct: true });
});
afterAll(() => loop.close());

describe('fromNodeSocket', () => {
  it('rejects what is not a net.Socket, with ERR_INVALID_ARG_TYPE', () => {
    expect(() => fromNodeSocket({} as net.Socket)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });

  it('refuses to wrap one socket twice', async () => {
    const { endpoint } = await loop.pair();
    expect(() => fromNodeSocket(endpoint.socket)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_ADOPTED' }));
  });

  it('reports the addresses once opened', async () => {
    const { endpoint, peerSocket } = await loop.pair();
    const info = await endpoint.opened;
    expect(info.remotePort).toBe(peerSocket.localPort);
    expect(info.localPort).toBe(peerSocket.remotePort);
  });
});

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

describe('close()', () => {
  it('closes both directions and resolves closed', async () => {
    const { endpoint, peer } = await loop.pair();
    await withTimeout(endpoint.close(), T, 'close()');
    await withTimeout(peer.ended(), T, 'peer sees the connection end');
    expect(await readToEnd(endpoint.readable, T)).toHaveLength(0);
  });
});
