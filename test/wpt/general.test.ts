/**
 * Port of WPT streams/piping/general.any.js to spliceStreams. Deliberate
 * differences (docs/wpt-differences.md): bad arguments and locked streams
 * throw synchronously (SPEC 3) where pipeTo returns a rejected promise, and
 * failures resolve `done` with reason 'error'.
 */
import { describe, expect, it } from 'vitest';
import { spliceStreams } from '@sosplice/core';
import { bytes, countStrategy, IMPLS, recordingReadableStream, recordingWritableStream, splice, wptFile } from './_recording';

const expectThrown = (f: () => unknown, code: string, name: RegExp): void => {
  let thrown: unknown;
  try {
    f();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(TypeError);
  expect((thrown as { code?: string }).code).toBe(code);
  expect((thrown as Error).message).toMatch(name);
};

for (const [implName, impl] of Object.entries(IMPLS)) {
  describe(wptFile('general.any.js', implName), () => {
    it('Piping must lock both the ReadableStream and WritableStream', async () => {
      const rs = new impl.ReadableStream<Uint8Array>();
      const ws = new impl.WritableStream<Uint8Array>();
      expect(rs.locked).toBe(false);
      expect(ws.locked).toBe(false);
      const s = spliceStreams(rs, ws);
      expect(rs.locked).toBe(true);
      expect(ws.locked).toBe(true);
      expect(await s.unsplice()).toEqual({ reason: 'unsplice', bytes: 0 });
    });

    it('Piping finishing must unlock both the ReadableStream and WritableStream', async () => {
      const rs = new impl.ReadableStream<Uint8Array>({ start: (c) => c.close() });
      const ws = new impl.WritableStream<Uint8Array>();
      expect(await spliceStreams(rs, ws).done).toEqual({ reason: 'eof', bytes: 0 });
      expect(rs.locked).toBe(false);
      expect(ws.locked).toBe(false);
    });

    // Regression (issue 16): the `locked` getter's own brand check threw
    // ERR_INVALID_THIS before spliceStreams could say which argument was wrong.
    it('pipeTo must check the brand of its ReadableStream this value', () => {
      const fake = Object.create(impl.ReadableStream.prototype) as ReadableStream<Uint8Array>;
      const ws = new impl.WritableStream<Uint8Array>();
      expectThrown(() => spliceStreams(fake, ws), 'ERR_INVALID_ARG_TYPE', /"readable"/);
      expect(ws.locked).toBe(false);
    });

    it('pipeTo must check the brand of its WritableStream argument', () => {
      const rs = new impl.ReadableStream<Uint8Array>();
      const fake = Object.create(impl.WritableStream.prototype) as WritableStream<Uint8Array>;
      expectThrown(() => spliceStreams(rs, fake), 'ERR_INVALID_ARG_TYPE', /"writable"/);
      expect(rs.locked).toBe(false);
    });

    it('pipeTo must fail if the ReadableStream is locked, and not lock the WritableStream', () => {
      const rs = new impl.ReadableStream<Uint8Array>();
      const ws = new impl.WritableStream<Uint8Array>();
      rs.getReader();
      expectThrown(() => spliceStreams(rs, ws), 'ERR_SPLICE_BUSY', /"readable"/);
      expect(ws.locked).toBe(false);
    });

    it('pipeTo must fail if the WritableStream is locked, and not lock the ReadableStream', () => {
      const rs = new impl.ReadableStream<Uint8Array>();
      const ws = new impl.WritableStream<Uint8Array>();
      ws.getWriter();
      expectThrown(() => spliceStreams(rs, ws), 'ERR_SPLICE_BUSY', /"writable"/);
      expect(rs.locked).toBe(false);
    });

    it('Piping from a ReadableStream from which lots of chunks are synchronously readable', async () => {
      const CHUNKS = 10;
      const rs = new impl.ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < CHUNKS; ++i) c.enqueue(new Uint8Array([i]));
          c.close();
        },
      });
      const written: unknown[] = [];
      const ws = new impl.WritableStream<Uint8Array>(
        { write: (chunk) => void written.push(chunk[0]), close: () => void written.push('closed') },
        countStrategy(impl, CHUNKS),
      );
      expect(await spliceStreams(rs, ws).done).toEqual({ reason: 'eof', bytes: CHUNKS });
      expect(written).toEqual([...Array.from({ length: CHUNKS }, (_, i) => i), 'closed']);
      await Promise.all([rs.getReader().closed, ws.getWriter().closed]);
    });

    it('Piping from a ReadableStream for which a chunk becomes asynchronously readable after the pipeTo', async () => {
      const rs = recordingReadableStream(impl);
      const ws = recordingWritableStream(impl);
      const s = splice(rs, ws);
      setTimeout(() => {
        rs.controller.enqueue(bytes('Hello'));
        setTimeout(() => rs.controller.close(), 10);
      }, 10);
      expect(await s.done).toEqual({ reason: 'eof', bytes: 5 });
      expect(ws.events).toEqual(['write', 'Hello', 'close']);
    });

    for (const preventAbort of [true, false]) {
      it(`an undefined rejection from pull should cause pipeTo() to reject when preventAbort is ${preventAbort}`, async () => {
        const rs = new impl.ReadableStream<Uint8Array>({ pull: () => Promise.reject(undefined) });
        const result = await spliceStreams(rs, new impl.WritableStream<Uint8Array>(), { preventAbort }).done;
        // SPEC 2: error is present exactly when reason is 'error', even when it is undefined.
        expect(result.reason).toBe('error');
        expect('error' in result).toBe(true);
        expect(result.error).toBeUndefined();
      });
    }

    for (const preventCancel of [true, false]) {
      it(`an undefined rejection from write should cause pipeTo() to reject when preventCancel is ${preventCancel}`, async () => {
        const rs = new impl.ReadableStream<Uint8Array>({ pull: (c) => c.enqueue(new Uint8Array([0])) });
        const ws = new impl.WritableStream<Uint8Array>({ write: () => Promise.reject(undefined) });
        const result = await spliceStreams(rs, ws, { preventCancel }).done;
        expect(result.reason).toBe('error');
        expect('error' in result).toBe(true);
        expect(result.error).toBeUndefined();
      });
    }
  });
}
