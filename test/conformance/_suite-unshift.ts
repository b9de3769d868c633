/**
 * SPEC.md 6, header-then-splice: `unshift(bytes)` on an adapter endpoint puts
 * bytes back in front of its readable (read first, spliced first and counted
 * by the next splice), and the core's `readUntil()` reads a bounded head and
 * gives back what it read past it. Adapter endpoints only (the in-memory
 * harness has no `unshift`: those tests pass trivially there).
 */
import { describe, expect, it } from 'vitest';
import { readUntil, ReadUntilError, type UnshiftableEndpoint } from '@sosplice/core';
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
  });
}
