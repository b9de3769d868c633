/**
 * The adapter's streams without a splice (docs/adapters.md): a BYOB-capable
 * byte readable that pauses the socket, a byte-counted writable that keeps
 * Bun's unaccepted tail, half-close both ways, destroy on cancel/abort.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BunLoopback } from '../harness/bun';
import { concat, expectBytes, pattern, readAtLeast, readToEnd, text, until, withTimeout, writeOnce } from '../harness/_util';

const T = 10_000;

describe('bun adapter streams', () => {
  let loop: BunLoopback;
  afterEach(() => loop?.dispose());
  const one = async () => {
    loop = new BunLoopback({ direct: true });
    return loop.pair();
  };

  it('readable is a byte stream: a BYOB read of n bytes takes n and leaves the rest', async () => {
    const { endpoint, peer } = await one();
    await peer.write(pattern(1000, 20));
    const reader = endpoint.readable.getReader({ mode: 'byob' });
    const { value } = await withTimeout(reader.read(new Uint8Array(10)), T, 'byob read');
    expectBytes(value!, pattern(1000, 20).subarray(0, 10));
    reader.releaseLock();
    expectBytes(await readAtLeast(endpoint.readable, 990, T), pattern(1000, 20).subarray(10));
  });

  it('readable stops reading from the kernel when its buffer is full', async () => {
    const { endpoint, peer } = await one();
    const input = pattern(8 << 20, 21);
    const writing = peer.write(input);
    await until(() => endpoint.readableBuffered >= 65_536, T, 'inbox filled');
    // Nobody reads: the adapter holds at most its high-water mark plus one Bun read.
    expect(endpoint.readableBuffered).toBeLessThanOrEqual(65_536 + 512 * 1024);
    expectBytes(await readAtLeast(endpoint.readable, input.byteLength, T), input);
    await writing;
  });

  it('write() resolves once Bun took every byte; the queue is counted in bytes', async () => {
    const { endpoint, peer } = await one();
    peer.stall();
    const writer = endpoint.writable.getWriter();
    expect(writer.desiredSize).toBe(65_536);
    const big = pattern(16 << 20, 22);
    const written = writer.write(big);
    await until(() => endpoint.writableBuffered > 0, T, 'Bun accepted only part');
    expect(writer.desiredSize).toBe(65_536 - big.byteLength);
    peer.resume();
    await withTimeout(written, T, 'write after drain');
    expect(endpoint.writableBuffered).toBe(0);
    writer.releaseLock();
    await withTimeout(peer.receivedAtLeast(big.byteLength), T, 'all bytes');
    expectBytes(peer.received(), big);
  });

  it('writable.close() is a half-close: the answer after our FIN is still readable', async () => {
    const { endpoint, peer } = await one();
    await writeOnce(endpoint.writable, text('question'));
    await endpoint.writable.close();
    await withTimeout(peer.ended(), T, 'FIN at the peer');
    await peer.write(text('answer'));
    await peer.end();
    expectBytes(await readToEnd(endpoint.readable, T), text('answer'));
    await withTimeout(endpoint.closed, T, 'closed once both directions finished');
  });

  it("the peer's FIN ends the readable, not our write side", async () => {
    const { endpoint, peer } = await one();
    await peer.write(text('bye'));
    await peer.end();
    expectBytes(await readToEnd(endpoint.readable, T), text('bye'));
    await writeOnce(endpoint.writable, text('still writing'));
    await endpoint.writable.close();
    await withTimeout(peer.ended(), T, 'our FIN');
    expectBytes(peer.received(), text('still writing'));
  });

  it('readable.cancel() destroys the socket', async () => {
    const { endpoint, peer } = await one();
    await endpoint.readable.cancel();
    await withTimeout(peer.aborted(), T, 'peer sees the socket gone');
    await expect(endpoint.closed).resolves.toBeUndefined();
  });

  it('writable.abort() destroys the socket', async () => {
    const { endpoint, peer } = await one();
    await endpoint.writable.abort(new Error('stop'));
    await withTimeout(peer.aborted(), T, 'peer sees the socket gone');
  });

  it("a peer reset errors both streams with Bun's error and its code; close() still resolves", async () => {
    const { endpoint, peer } = await one();
    const isReset = await peer.reset();
    const error = await endpoint.closed.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isReset(error), String(error)).toBe(true);
    const readError = await endpoint.readable.getReader().read().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(readError).toBe(error);
    await expect(writeOnce(endpoint.writable, text('x'))).rejects.toBe(error);
    // docs/adapters.md: close() never rejects; `closed` carries the failure.
    await expect(withTimeout(endpoint.close(), T, 'close() after a reset')).resolves.toBeUndefined();
  });

  it('close() flushes what is queued, sends FIN, and resolves once the peer finished too', async () => {
    const { endpoint, peer } = await one();
    peer.stall();
    const writer = endpoint.writable.getWriter();
    void writer.write(pattern(4 << 20, 23)).catch(() => {});
    writer.releaseLock();
    const closing = endpoint.close();
    peer.resume();
    await withTimeout(peer.ended(), T, 'FIN after the queued bytes');
    expectBytes(peer.received(), concat(pattern(4 << 20, 23)));
    await peer.end();
    await withTimeout(closing, T, 'close()');
  });
});
