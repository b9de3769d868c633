/**
 * Port of WPT streams/piping/error-propagation-forward.any.js to
 * spliceStreams. Deliberate differences (docs/wpt-differences.md): `done`
 * resolves with reason 'error' and the source's error where pipeTo rejects,
 * even when the abort itself fails; and `done` does not wait for the final
 * write (SPEC 4.5), but the abort still reaches the sink after the chunk it
 * is writing, and the count leaves out the queued chunks the abort discards.
 */
import { describe, expect, it } from 'vitest';
import {
  bytes, countStrategy, error1, error2, expectErrorEnding, FALSY, flushAsyncEvents, IMPLS,
  heldWrites, recordingReadableStream, recordingWritableStream, splice, spliceWithFirstWriteHeld, TRUTHY, wptFile,
} from './_recording';

for (const [implName, impl] of Object.entries(IMPLS)) {
  describe(wptFile('error-propagation-forward.any.js', implName), () => {
    const startsErrored = () => recordingReadableStream(impl, { start: () => Promise.reject(error1) });
    const later = (f: () => void, ms = 10) => setTimeout(f, ms);

    it('Errors must be propagated forward: starts errored; preventAbort = false; fulfilled abort promise', async () => {
      const rs = startsErrored();
      const ws = recordingWritableStream(impl);
      await expectErrorEnding(splice(rs, ws), error1);
      expect(rs.events).toEqual([]);
      expect(ws.events).toEqual(['abort', error1]);
    });

    it('Errors must be propagated forward: starts errored; preventAbort = false; rejected abort promise', async () => {
      const rs = startsErrored();
      const ws = recordingWritableStream(impl, { abort: () => { throw error2; } });
      // pipeTo rejects with the abort's error2; SPEC 5 keeps the original error.
      await expectErrorEnding(splice(rs, ws), error1);
      expect(rs.events).toEqual([]);
      expect(ws.events).toEqual(['abort', error1]);
    });

    for (const [name, falsy] of FALSY) {
      it(`Errors must be propagated forward: starts errored; preventAbort = ${name} (falsy); fulfilled abort promise`, async () => {
        const rs = startsErrored();
        const ws = recordingWritableStream(impl);
        await expectErrorEnding(splice(rs, ws, { preventAbort: falsy }), error1);
        expect(rs.events).toEqual([]);
        expect(ws.events).toEqual(['abort', error1]);
      });
    }

    for (const [name, truthy] of TRUTHY) {
      it(`Errors must be propagated forward: starts errored; preventAbort = ${name} (truthy)`, async () => {
        const rs = startsErrored();
        const ws = recordingWritableStream(impl);
        await expectErrorEnding(splice(rs, ws, { preventAbort: truthy }), error1);
        expect(rs.events).toEqual([]);
        expect(ws.events).toEqual([]);
      });
    }

    for (const [title, options] of [
      ['preventAbort = true, preventCancel = true', { preventAbort: true, preventCancel: true }],
      ['preventAbort = true, preventCancel = true, preventClose = true', { preventAbort: true, preventCancel: true, preventClose: true }],
    ] as const) {
      it(`Errors must be propagated forward: starts errored; ${title}`, async () => {
        const rs = startsErrored();
        const ws = recordingWritableStream(impl);
        await expectErrorEnding(splice(rs, ws, options), error1);
        expect(rs.events).toEqual([]);
        expect(ws.events).toEqual([]);
        // With preventAbort the writable is released, open and usable.
        expect(ws.locked).toBe(false);
      });
    }

    // "becomes errored while empty" and "after one chunk", with and without a
    // drain that never desires chunks (highWaterMark 0).
    for (const neverDesires of [false, true]) {
      const dest = neverDesires ? 'dest never desires chunks; ' : '';
      const strategy = neverDesires ? countStrategy(impl, 0) : undefined;
      for (const oneChunk of [false, true]) {
        const when = oneChunk ? 'becomes errored after one chunk' : 'becomes errored while empty';
        const feed = (rs: ReturnType<typeof recordingReadableStream>) => {
          if (!oneChunk) return later(() => rs.controller.error(error1));
          later(() => {
            rs.controller.enqueue(bytes('Hello'));
            later(() => rs.controller.error(error1));
          });
        };
        // The drain sees 'Hello' only if it desires chunks.
        const written = oneChunk && !neverDesires ? ['write', 'Hello'] : [];

        it(`Errors must be propagated forward: ${when}; ${dest}preventAbort = false; fulfilled abort promise`, async () => {
          const rs = recordingReadableStream(impl);
          const ws = recordingWritableStream(impl, {}, strategy);
          const s = splice(rs, ws);
          feed(rs);
          const result = await expectErrorEnding(s, error1);
          expect(rs.eventsWithoutPulls).toEqual([]);
          expect(ws.events).toEqual([...written, 'abort', error1]);
          expect(result.bytes).toBe(written.length === 0 ? 0 : 5);
        });

        it(`Errors must be propagated forward: ${when}; ${dest}preventAbort = false; rejected abort promise`, async () => {
          const rs = recordingReadableStream(impl);
          const ws = recordingWritableStream(impl, { abort: () => { throw error2; } }, strategy);
          const s = splice(rs, ws);
          feed(rs);
          await expectErrorEnding(s, error1);
          expect(rs.eventsWithoutPulls).toEqual([]);
          expect(ws.events).toEqual([...written, 'abort', error1]);
        });

        it(`Errors must be propagated forward: ${when}; ${dest}preventAbort = true`, async () => {
          const rs = recordingReadableStream(impl);
          const ws = recordingWritableStream(impl, {}, strategy);
          const s = splice(rs, ws, { preventAbort: true });
          feed(rs);
          await expectErrorEnding(s, error1);
          expect(rs.eventsWithoutPulls).toEqual([]);
          expect(ws.events).toEqual(written);
        });
      }
    }

    it('Errors must be propagated forward: shutdown must not occur until the final write completes', async () => {
      const rs = recordingReadableStream(impl);
      const { ws, firstWrite, resolveWrite } = heldWrites(impl);
      const s = splice(rs, ws);
      rs.controller.enqueue(bytes('a'));
      await firstWrite;
      rs.controller.error(error1);
      await flushAsyncEvents();
      // The abort waits for the write in flight, as pipeTo's shutdown does.
      expect(ws.events).toEqual(['write', 'a']);
      // Difference (SPEC 4.5): done does not wait on the drain; 'a' is counted, it reaches the sink.
      const result = await expectErrorEnding(s, error1);
      expect(result.bytes).toBe(1);
      resolveWrite();
      await flushAsyncEvents();
      expect(ws.events).toEqual(['write', 'a', 'abort', error1]);
    });

    it('Errors must be propagated forward: shutdown must not occur until the final write completes; preventAbort = true', async () => {
      const rs = recordingReadableStream(impl);
      const { ws, firstWrite, resolveWrite } = heldWrites(impl);
      const s = splice(rs, ws, { preventAbort: true });
      rs.controller.enqueue(bytes('a'));
      await firstWrite;
      rs.controller.error(error1);
      const result = await expectErrorEnding(s, error1);
      expect(result.bytes).toBe(1);
      resolveWrite();
      await flushAsyncEvents();
      expect(ws.events).toEqual(['write', 'a']);
      expect(ws.locked).toBe(false);
    });

    it('Errors must be propagated forward: shutdown must not occur until the final write completes; becomes errored after first write', async () => {
      // Regression (issue 16): 'b' sat in the drain's queue behind the write
      // of 'a' when the source failed; the abort discarded it, yet the result
      // counted it (bytes 2 for a sink that saw only 'a').
      const { rs, ws, s, resolveWrite } = await spliceWithFirstWriteHeld(impl);
      rs.controller.error(error1);
      const result = await expectErrorEnding(s, error1);
      resolveWrite();
      await flushAsyncEvents();
      // The abort discards the queued 'b' (done does not wait, SPEC 4.5), so it is not counted.
      expect(ws.events).toEqual(['write', 'a', 'abort', error1]);
      expect(result.bytes).toBe(1);
      expect(s.bytes).toBe(1);
    });

    it('Errors must be propagated forward: shutdown must not occur until the final write completes; becomes errored after first write; preventAbort = true', async () => {
      const { rs, ws, s, resolveWrite } = await spliceWithFirstWriteHeld(impl, { preventAbort: true });
      rs.controller.error(error1);
      const result = await expectErrorEnding(s, error1);
      // Not aborted: 'b' stays queued and reaches the sink, so it counts.
      expect(result.bytes).toBe(2);
      resolveWrite();
      await flushAsyncEvents();
      expect(ws.events).toEqual(['write', 'a', 'write', 'b']);
      resolveWrite();
      await flushAsyncEvents();
      expect(ws.events).toEqual(['write', 'a', 'write', 'b']);
    });

  });
}
