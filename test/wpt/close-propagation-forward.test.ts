/**
 * Port of WPT streams/piping/close-propagation-forward.any.js to
 * spliceStreams. Deliberate differences (docs/wpt-differences.md): `done`
 * resolves ({ reason: 'eof' }, or 'error' with the close's error) where
 * pipeTo fulfils or rejects; with preventClose, `done` does not wait for the
 * final write (SPEC 4.5: the chunk stays queued and reaches the sink).
 */
import { describe, expect, it } from 'vitest';
import {
  bytes, countStrategy, delay, error1, expectErrorEnding, FALSY, flushAsyncEvents, IMPLS,
  heldWrites, recordingReadableStream, recordingWritableStream, splice, spliceWithFirstWriteHeld, TRUTHY, wptFile,
} from './_recording';
import type { Splice } from '@sosplice/core';

for (const [implName, impl] of Object.entries(IMPLS)) {
  describe(wptFile('close-propagation-forward.any.js', implName), () => {
    const startsClosed = () => recordingReadableStream(impl, { start: (c) => c.close() });
    const closeThrows = { close: () => { throw error1; } };
    const expectEof = async (s: Splice, bytesExpected = 0) => expect(await s.done).toEqual({ reason: 'eof', bytes: bytesExpected });

    it('Closing must be propagated forward: starts closed; preventClose omitted; fulfilled close promise', async () => {
      const rs = startsClosed();
      const ws = recordingWritableStream(impl);
      await expectEof(splice(rs, ws));
      expect(rs.events).toEqual([]);
      expect(ws.events).toEqual(['close']);
      await Promise.all([rs.getReader().closed, ws.getWriter().closed]);
    });

    it('Closing must be propagated forward: starts closed; preventClose omitted; rejected close promise', async () => {
      const rs = startsClosed();
      const ws = recordingWritableStream(impl, closeThrows);
      await expectErrorEnding(splice(rs, ws), error1);
      expect(rs.events).toEqual([]);
      expect(ws.events).toEqual(['close']);
      await rs.getReader().closed;
      await expect(ws.getWriter().closed).rejects.toBe(error1);
    });

    for (const [name, falsy] of FALSY) {
      it(`Closing must be propagated forward: starts closed; preventClose = ${name} (falsy); fulfilled close promise`, async () => {
        const rs = startsClosed();
        const ws = recordingWritableStream(impl);
        await expectEof(splice(rs, ws, { preventClose: falsy }));
        expect(rs.events).toEqual([]);
        expect(ws.events).toEqual(['close']);
        await Promise.all([rs.getReader().closed, ws.getWriter().closed]);
      });
    }

    for (const [title, options] of [
      ...TRUTHY.map(([name, truthy]) => [`preventClose = ${name} (truthy)`, { preventClose: truthy }] as const),
      ['preventClose = true, preventAbort = true', { preventClose: true, preventAbort: true }] as const,
      ['preventClose = true, preventAbort = true, preventCancel = true', { preventClose: true, preventAbort: true, preventCancel: true }] as const,
    ]) {
      it(`Closing must be propagated forward: starts closed; ${title}`, async () => {
        const rs = startsClosed();
        const ws = recordingWritableStream(impl);
        await expectEof(splice(rs, ws, options));
        expect(rs.events).toEqual([]);
        expect(ws.events).toEqual([]);
        await rs.getReader().closed;
        expect(ws.locked).toBe(false);
      });
    }

    for (const neverDesires of [false, true]) {
      const dest = neverDesires ? 'dest never desires chunks; ' : '';
      const strategy = () => (neverDesires ? countStrategy(impl, 0) : undefined);
      // Regression (issue 16): with highWaterMark 0 the splice waited for
      // room forever and never saw the source close; done never settled.
      it(`Closing must be propagated forward: becomes closed asynchronously; ${dest}preventClose omitted; fulfilled close promise`, async () => {
        const rs = recordingReadableStream(impl);
        const ws = recordingWritableStream(impl, {}, strategy());
        const s = splice(rs, ws);
        setTimeout(() => rs.controller.close());
        await expectEof(s);
        expect(rs.eventsWithoutPulls).toEqual([]);
        expect(ws.events).toEqual(['close']);
        await Promise.all([rs.getReader().closed, ws.getWriter().closed]);
      });

      it(`Closing must be propagated forward: becomes closed asynchronously; ${dest}preventClose omitted; rejected close promise`, async () => {
        const rs = recordingReadableStream(impl);
        const ws = recordingWritableStream(impl, closeThrows, strategy());
        const s = splice(rs, ws);
        setTimeout(() => rs.controller.close());
        await expectErrorEnding(s, error1);
        expect(rs.eventsWithoutPulls).toEqual([]);
        expect(ws.events).toEqual(['close']);
        await rs.getReader().closed;
        await expect(ws.getWriter().closed).rejects.toBe(error1);
      });

      it(`Closing must be propagated forward: becomes closed asynchronously; ${dest}preventClose = true`, async () => {
        const rs = recordingReadableStream(impl);
        const ws = recordingWritableStream(impl, {}, strategy());
        const s = splice(rs, ws, { preventClose: true });
        setTimeout(() => rs.controller.close());
        await expectEof(s);
        expect(rs.eventsWithoutPulls).toEqual([]);
        expect(ws.events).toEqual([]);
        await rs.getReader().closed;
      });
    }

    const helloThenClose = (rs: ReturnType<typeof recordingReadableStream>) =>
      setTimeout(() => {
        rs.controller.enqueue(bytes('Hello'));
        setTimeout(() => rs.controller.close());
      }, 10);

    it('Closing must be propagated forward: becomes closed after one chunk; preventClose omitted; fulfilled close promise', async () => {
      const rs = recordingReadableStream(impl);
      const ws = recordingWritableStream(impl);
      const s = splice(rs, ws);
      helloThenClose(rs);
      await expectEof(s, 5);
      expect(rs.eventsWithoutPulls).toEqual([]);
      expect(ws.events).toEqual(['write', 'Hello', 'close']);
      await Promise.all([rs.getReader().closed, ws.getWriter().closed]);
    });

    it('Closing must be propagated forward: becomes closed after one chunk; preventClose omitted; rejected close promise', async () => {
      const rs = recordingReadableStream(impl);
      const ws = recordingWritableStream(impl, closeThrows);
      const s = splice(rs, ws);
      helloThenClose(rs);
      const result = await expectErrorEnding(s, error1);
      // 'Hello' reached the sink before the close failed.
      expect(result.bytes).toBe(5);
      expect(rs.eventsWithoutPulls).toEqual([]);
      expect(ws.events).toEqual(['write', 'Hello', 'close']);
      await rs.getReader().closed;
      await expect(ws.getWriter().closed).rejects.toBe(error1);
    });

    it('Closing must be propagated forward: becomes closed after one chunk; preventClose = true', async () => {
      const rs = recordingReadableStream(impl);
      const ws = recordingWritableStream(impl);
      const s = splice(rs, ws, { preventClose: true });
      helloThenClose(rs);
      await expectEof(s, 5);
      expect(rs.eventsWithoutPulls).toEqual([]);
      expect(ws.events).toEqual(['write', 'Hello']);
      await rs.getReader().closed;
    });

    const tracked = (s: Splice) => {
      const state = { complete: false };
      void s.done.then(() => (state.complete = true));
      return state;
    };

    it('Closing must be propagated forward: shutdown must not occur until the final write completes', async () => {
      const rs = recordingReadableStream(impl);
      const { ws, resolveWrite } = heldWrites(impl);
      const s = splice(rs, ws);
      const pipe = tracked(s);
      rs.controller.enqueue(bytes('a'));
      rs.controller.close();
      await flushAsyncEvents();
      expect(ws.events).toEqual(['write', 'a']);
      // SPEC 4.5: 'eof' without preventClose waits for the close, as pipeTo.
      expect(pipe.complete).toBe(false);
      resolveWrite();
      await expectEof(s, 1);
      expect(ws.events).toEqual(['write', 'a', 'close']);
    });

    it('Closing must be propagated forward: shutdown must not occur until the final write completes; preventClose = true', async () => {
      const rs = recordingReadableStream(impl);
      const { ws, resolveWrite } = heldWrites(impl);
      const s = splice(rs, ws, { preventClose: true });
      rs.controller.enqueue(bytes('a'));
      rs.controller.close();
      // Difference (SPEC 4.5): done does not wait on the drain; 'a' stays queued.
      await expectEof(s, 1);
      await flushAsyncEvents();
      expect(ws.events).toEqual(['write', 'a']);
      resolveWrite();
      await flushAsyncEvents();
      expect(ws.events).toEqual(['write', 'a']);
    });

    it('Closing must be propagated forward: shutdown must not occur until the final write completes; becomes closed after first write', async () => {
      const { rs, ws, s, resolveWrite } = await spliceWithFirstWriteHeld(impl);
      const pipe = tracked(s);
      expect(pipe.complete).toBe(false);
      rs.controller.close();
      resolveWrite();
      await flushAsyncEvents();
      expect(ws.events).toEqual(['write', 'a', 'write', 'b']);
      expect(pipe.complete).toBe(false);
      resolveWrite();
      await expectEof(s, 2);
      expect(ws.events).toEqual(['write', 'a', 'write', 'b', 'close']);
    });

    it('Closing must be propagated forward: shutdown must not occur until the final write completes; becomes closed after first write; preventClose = true', async () => {
      const { rs, ws, s, resolveWrite } = await spliceWithFirstWriteHeld(impl, { preventClose: true });
      rs.controller.close();
      // Difference (SPEC 4.5): done does not wait; both chunks stay queued and count.
      await expectEof(s, 2);
      resolveWrite();
      await flushAsyncEvents();
      expect(ws.events).toEqual(['write', 'a', 'write', 'b']);
      resolveWrite();
      await flushAsyncEvents();
      expect(ws.events).toEqual(['write', 'a', 'write', 'b']);
    });

    it('Closing must be propagated forward: erroring the writable while flushing pending writes should error pipeTo', async () => {
      const rs = recordingReadableStream(impl, {
        start(c) {
          c.enqueue(bytes('a'));
          c.enqueue(bytes('b'));
          c.close();
        },
      });
      let rejectWrite!: (error: unknown) => void;
      const ws = recordingWritableStream(impl, { write: () => new Promise((_, reject) => (rejectWrite = reject)) }, { highWaterMark: 3 });
      const s = splice(rs, ws);
      await delay(0);
      rejectWrite(error1);
      const result = await expectErrorEnding(s, error1);
      // 'a' and 'b' were handed over; the drain then failed with them (not an abort of ours).
      expect(result.bytes).toBe(2);
      expect(rs.events).toEqual([]);
      expect(ws.events).toEqual(['write', 'a']);
      await rs.getReader().closed;
      await expect(ws.getWriter().closed).rejects.toBe(error1);
    });
  });
}
