/**
 * docs/contract.md#header-then-splice: `unshift(bytes)` on an adapter endpoint puts
 * bytes back in front of its readable (read first, spliced first and counted
 * by the next splice), and the core's `readUntil()` reads a bounded head and
 * gives back what it read past it; `readExactly()` reads a known length the
 * same way. Adapter sockets lend their bytes to both (no stream per head):
 * the side is taken meanwhile as if locked. `writeBytes()` writes a head
 * (without the writable stream on an adapter socket), in order with
 * everything else written to the endpoint, on every endpoint. Adapter endpoints only (the
 * in-memory harness has no `unshift`: those tests pass trivially there).
 */
import { describe, expect, it } from 'vitest';
import { readExactly, readUntil, ReadUntilError, writeBytes, type UnshiftableEndpoint } from '@sosplice/core';
import { concat, expectBytes, pattern, readAtLeast, text, withTimeout } from '../harness/_util';
import { T, doneOf, expectReceived, type Side, type SuiteContext } from './_suite-context';

const unshiftable = (side: Side): UnshiftableEndpoint | undefined =>
  typeof (side.endpoint as Partial<UnshiftableEndpoint>).unshift === 'function' ? (side.endpoint as unknown as UnshiftableEndpoint) : undefined;

const HEAD = text('GET / HTTP/1.1\r\nHost: x\r\n\r\n');

export function unshiftSection(ctx: SuiteContext): void {
  describe('6 unshift and readUntil (header-then-splice)', () => {
    it('unshift(bytes): the next read takes them first, then what the peer sends', async () => {
      const a = await ctx.side();
      const ep = unshiftable(a);
      if (ep === undefined) return;
      ep.unshift(text('first '));
      ep.unshift(text('zeroth '));
      await a.peer.write(text('then the peer'));
      expectBytes(await readAtLeast(ep.readable, 26, T), text('zeroth first then the peer'));
    });

    it('readUntil() hands back the head; the next splice takes the rest and counts it exactly', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const ep = unshiftable(a);
      if (ep === undefined) return;
      const body = pattern(100_000, 130);
      // Head and the start of the body in one write: the read past the head is certain.
      await a.peer.write(concat(HEAD, body.subarray(0, 1000)));
      const head = await withTimeout(readUntil(ep, '\r\n\r\n', { maxBytes: 1024 }), T, 'readUntil');
      expectBytes(head, HEAD, 'head');
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { max: body.byteLength });
      await a.peer.write(body.subarray(1000));
      expect(await doneOf(s)).toEqual({ reason: 'max', bytes: body.byteLength });
      await expectReceived(b, body, 'the body through the splice');
    });

    it('unshift() throws ERR_SPLICE_BUSY while the readable is spliced or held by a reader', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const ep = unshiftable(a);
      if (ep === undefined) return;
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      expect(() => ep.unshift(text('x'))).toThrow(expect.objectContaining({ code: 'ERR_SPLICE_BUSY' }));
      await s.unsplice();
      const reader = a.endpoint.readable.getReader();
      expect(() => ep.unshift(text('x'))).toThrow(expect.objectContaining({ code: 'ERR_SPLICE_BUSY' }));
      reader.releaseLock();
      expect(() => ep.unshift('x' as never)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
    });

    it('after an unsplice abandoned a read, unshifted bytes still come first', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const ep = unshiftable(a);
      if (ep === undefined) return;
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
      const x = pattern(500, 131);
      await a.peer.write(x);
      await expectReceived(b, x, 'spliced');
      await s.unsplice();
      ep.unshift(text('put back|'));
      await a.peer.write(text('next'));
      expectBytes(await readAtLeast(ep.readable, 13, T), text('put back|next'));
    });

    it('a head over maxBytes rejects with ERR_HEAD_TOO_LARGE and loses nothing', async () => {
      const a = await ctx.side();
      const ep = unshiftable(a);
      if (ep === undefined) return;
      const input = pattern(5000, 132).map((v) => (v === 13 ? 14 : v)); // no '\r'
      await a.peer.write(input);
      const error = await readUntil(ep, '\r\n\r\n', { maxBytes: 4096 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ReadUntilError);
      expect(error).toMatchObject({ code: 'ERR_HEAD_TOO_LARGE' });
      expectBytes(await readAtLeast(ep.readable, input.byteLength, T), input, 'everything read, given back');
    });

    it('a stream that ends before the delimiter rejects with ERR_HEAD_INCOMPLETE carrying the bytes', async () => {
      const a = await ctx.side();
      const ep = unshiftable(a);
      if (ep === undefined) return;
      await a.peer.write(text('GET / HTTP/1.1\r\n'));
      await a.peer.end();
      const error = await readUntil(ep, '\r\n\r\n').catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'ERR_HEAD_INCOMPLETE' });
      expectBytes((error as ReadUntilError).bytes!, text('GET / HTTP/1.1\r\n'));
    });

    it('an aborted signal stops readUntil() and gives back what it read', async () => {
      const a = await ctx.side();
      const ep = unshiftable(a);
      if (ep === undefined) return;
      await a.peer.write(text('GET / HT'));
      const controller = new AbortController();
      const reading = readUntil(ep, '\r\n\r\n', { signal: controller.signal }).catch((e: unknown) => e);
      // Give the first bytes time to be read; then nothing more comes.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const reason = new Error('timeout');
      controller.abort(reason);
      expect(await withTimeout(reading, T, 'readUntil after abort')).toBe(reason);
      await a.peer.write(text('TP/1.1'));
      expectBytes(await readAtLeast(ep.readable, 14, T), text('GET / HTTP/1.1'));
    });

    it('readExactly() hands back exactly length bytes; the rest is read next and counted by the next splice', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const ep = unshiftable(a);
      if (ep === undefined) return;
      const first = pattern(3000, 133);
      const next = pattern(50_000, 134);
      // Both in one write: the read past `first` is certain.
      await a.peer.write(concat(first, next.subarray(0, 700)));
      expectBytes(await withTimeout(readExactly(ep, first.byteLength), T, 'readExactly'), first, 'the exact bytes');
      expectBytes(await withTimeout(readExactly(ep, 0), T, 'readExactly(0)'), new Uint8Array(0), 'nothing');
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { max: next.byteLength });
      await a.peer.write(next.subarray(700));
      expect(await doneOf(s)).toEqual({ reason: 'max', bytes: next.byteLength });
      await expectReceived(b, next, 'the rest through the splice');
    });

    it('readExactly(): a stream that ends first rejects with ERR_BODY_INCOMPLETE carrying the bytes; bad lengths are refused', async () => {
      const a = await ctx.side();
      const ep = unshiftable(a);
      if (ep === undefined) return;
      await expect(readExactly(ep, -1)).rejects.toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
      await expect(readExactly(ep, '3' as never)).rejects.toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
      await a.peer.write(text('short'));
      await a.peer.end();
      const error = await readExactly(ep, 100).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ReadUntilError);
      expect(error).toMatchObject({ code: 'ERR_BODY_INCOMPLETE', bytesRead: 5 });
      expectBytes((error as ReadUntilError).bytes!, text('short'));
    });

    it('while readUntil() waits, the side is taken: splices and unshift() throw ERR_SPLICE_BUSY, the readable reads as locked', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const ep = unshiftable(a);
      if (ep === undefined) return;
      await a.peer.write(text('GET / HT'));
      const reading = readUntil(ep, '\r\n\r\n');
      expect(() => ep.unshift(text('x'))).toThrow(expect.objectContaining({ code: 'ERR_SPLICE_BUSY' }));
      expect(() => ctx.pair(a.endpoint, b.endpoint)).toThrow(expect.objectContaining({ code: 'ERR_SPLICE_BUSY' }));
      expect(a.endpoint.readable.locked).toBe(true);
      expect(() => ctx.splice(a.endpoint.readable, b.endpoint.writable)).toThrow(expect.objectContaining({ code: 'ERR_SPLICE_BUSY' }));
      await a.peer.write(text('TP/1.1\r\n\r\nnext'));
      expectBytes(await withTimeout(reading, T, 'readUntil'), text('GET / HTTP/1.1\r\n\r\n'));
      expect(a.endpoint.readable.locked).toBe(false);
      expectBytes(await readAtLeast(a.endpoint.readable, 4, T), text('next'), 'the bytes after the head, in order');
    });

    it('readUntil() reads the bytes a partial BYOB read left in the stream first', async () => {
      const a = await ctx.side();
      const ep = unshiftable(a);
      if (ep === undefined || !a.byteStream) return;
      await a.peer.write(text('GET /partial HTTP/1.1\r\n\r\nrest'));
      const reader = a.endpoint.readable.getReader({ mode: 'byob' });
      const { value } = await withTimeout(reader.read(new Uint8Array(4)), T, 'BYOB read');
      reader.releaseLock();
      // The stream's own queue holds the rest of that chunk: those bytes come first, so the stream is read.
      const head = await withTimeout(readUntil(ep, '\r\n\r\n'), T, 'readUntil');
      expectBytes(concat(value, head), text('GET /partial HTTP/1.1\r\n\r\n'));
      expectBytes(await readAtLeast(a.endpoint.readable, 4, T), text('rest'), 'the bytes after the head');
    });

    it('writeBytes() keeps the order of everything written: the writable, a splice into the endpoint, itself', async () => {
      const a = await ctx.side();
      const b = await ctx.side();
      const [x1, x2, x3, body, x4] = [text('head 1|'), text('via the writable|'), text('head 2|'), pattern(20_000, 135), text('|head 3')];
      await withTimeout(writeBytes(b.endpoint, x1), T, 'writeBytes');
      // A write left queued in the stream by a released writer goes first.
      const writer = b.endpoint.writable.getWriter();
      const queued = writer.write(x2);
      writer.releaseLock();
      await withTimeout(writeBytes(b.endpoint, x3), T, 'writeBytes after a queued write');
      await queued;
      // The splice starts while the transport may still be writing x3: it goes after it.
      const s = ctx.splice(a.endpoint.readable, b.endpoint.writable, { max: body.byteLength, preventClose: true });
      await expect(writeBytes(b.endpoint, x4)).rejects.toMatchObject({ code: 'ERR_SPLICE_BUSY' });
      await a.peer.write(body);
      expect(await doneOf(s)).toEqual({ reason: 'max', bytes: body.byteLength });
      await withTimeout(writeBytes(b.endpoint, x4), T, 'writeBytes after the splice');
      await expectReceived(b, concat(x1, x2, x3, body, x4), 'everything, in the order written');
    });

    it('writeBytes() refuses bad arguments with coded errors, and rejects once the writable is closed', async () => {
      const b = await ctx.side();
      await expect(writeBytes(b.endpoint, 'text' as never)).rejects.toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
      await expect(writeBytes(null as never, text('x'))).rejects.toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
      await b.endpoint.writable.close();
      await withTimeout(b.peer.ended(), T, 'FIN');
      await expect(writeBytes(b.endpoint, text('late'))).rejects.toBeDefined();
    });
  });
}
