/**
 * Port of WPT streams/piping/close-propagation-backward.any.js to
 * spliceStreams: a writable that is closing when the splice starts. pipeTo
 * rejects with a TypeError; `done` resolves with reason 'error' and a
 * TypeError whose code is ERR_INVALID_STATE, and the source is cancelled with
 * that error unless preventCancel (SPEC 5, a drain that fails).
 */
import { describe, expect, it } from 'vitest';
import { error1, expectClosedDrainEnding, FALSY, IMPLS, recordingReadableStream, recordingWritableStream, splice, TRUTHY, wptFile } from './_recording';

for (const [implName, impl] of Object.entries(IMPLS)) {
  describe(wptFile('close-propagation-backward.any.js', implName), () => {
    /** Closed through a writer that was then released: closing, not yet closed. */
    const closingWritable = () => {
      const ws = recordingWritableStream(impl);
      const writer = ws.getWriter();
      writer.close().catch(() => {});
      writer.releaseLock();
      return ws;
    };

    // Regression (issue 16): the splice never noticed the closing drain:
    // done never settled, both streams stayed locked, nothing was cancelled.
    it('Closing must be propagated backward: starts closed; preventCancel omitted; fulfilled cancel promise', async () => {
      const rs = recordingReadableStream(impl);
      const ws = closingWritable();
      const result = await expectClosedDrainEnding(splice(rs, ws));
      expect(rs.eventsWithoutPulls).toEqual(['cancel', result.error]);
      expect(ws.events).toEqual(['close']);
      await Promise.all([rs.getReader().closed, ws.getWriter().closed]);
    });

    it('Closing must be propagated backward: starts closed; preventCancel omitted; rejected cancel promise', async () => {
      let recorded: unknown;
      const rs = recordingReadableStream(impl, {
        cancel(reason) {
          recorded = reason;
          throw error1;
        },
      });
      const ws = closingWritable();
      // pipeTo rejects with the cancel's error1; SPEC 5 keeps the original error.
      const result = await expectClosedDrainEnding(splice(rs, ws));
      expect(recorded).toBe(result.error);
      expect(rs.eventsWithoutPulls).toEqual(['cancel', recorded]);
      expect(ws.events).toEqual(['close']);
      await Promise.all([rs.getReader().closed, ws.getWriter().closed]);
    });

    for (const [name, falsy] of FALSY) {
      it(`Closing must be propagated backward: starts closed; preventCancel = ${name} (falsy); fulfilled cancel promise`, async () => {
        const rs = recordingReadableStream(impl);
        const ws = closingWritable();
        const result = await expectClosedDrainEnding(splice(rs, ws, { preventCancel: falsy }));
        expect(rs.eventsWithoutPulls).toEqual(['cancel', result.error]);
        expect(ws.events).toEqual(['close']);
        await Promise.all([rs.getReader().closed, ws.getWriter().closed]);
      });
    }

    for (const [title, options] of [
      ...TRUTHY.map(([name, truthy]) => [`preventCancel = ${name} (truthy)`, { preventCancel: truthy }] as const),
      ['preventCancel = true, preventAbort = true', { preventCancel: true, preventAbort: true }] as const,
      ['preventCancel = true, preventAbort = true, preventClose = true', { preventCancel: true, preventAbort: true, preventClose: true }] as const,
    ]) {
      it(`Closing must be propagated backward: starts closed; ${title}`, async () => {
        const rs = recordingReadableStream(impl);
        const ws = closingWritable();
        await expectClosedDrainEnding(splice(rs, ws, options));
        expect(rs.eventsWithoutPulls).toEqual([]);
        expect(ws.events).toEqual(['close']);
        await ws.getWriter().closed;
        // The source lives on: released and readable.
        expect(rs.locked).toBe(false);
      });
    }
  });
}
