/**
 * Port of WPT streams/piping/error-propagation-backward.any.js to
 * spliceStreams. Deliberate differences (docs/wpt-differences.md): `done`
 * resolves with reason 'error' and the drain's error where pipeTo rejects,
 * even when the cancel itself fails.
 */
import { describe, expect, it } from 'vitest';
import {
  bytes, countStrategy, delay, error1, error2, expectErrorEnding, FALSY, flushAsyncEvents, IMPLS,
  recordingReadableStream, recordingWritableStream, splice, TRUTHY, wptFile,
} from './_recording';

for (const [implName, impl] of Object.entries(IMPLS)) {
  describe(wptFile('error-propagation-backward.any.js', implName), () => {
    const throwsError2 = { cancel: () => { throw error2; } };

    it('Errors must be propagated backward: starts errored; preventCancel omitted; fulfilled cancel promise', async () => {
      const rs = recordingReadableStream(impl);
      const ws = recordingWritableStream(impl, { start: () => Promise.reject(error1) });
      await expectErrorEnding(splice(rs, ws), error1);
      expect(rs.eventsWithoutPulls).toEqual(['cancel', error1]);
      expect(ws.events).toEqual([]);
    });

    /** A writable errored by a failed write before the splice starts. */
    const erroredByWrite = async () => {
      const ws = recordingWritableStream(impl, { write: () => Promise.reject(error1) });
      const writer = ws.getWriter();
      await expect(writer.write(bytes('Hello'))).rejects.toBe(error1);
      await expect(writer.closed).rejects.toBe(error1);
      writer.releaseLock();
      return ws;
    };

    it('Errors must be propagated backward: becomes errored before piping due to write; preventCancel omitted; fulfilled cancel promise', async () => {
      const rs = recordingReadableStream(impl);
      const ws = await erroredByWrite();
      await expectErrorEnding(splice(rs, ws), error1);
      expect(rs.eventsWithoutPulls).toEqual(['cancel', error1]);
      expect(ws.events).toEqual(['write', 'Hello']);
    });

    it('Errors must be propagated backward: becomes errored before piping due to write; preventCancel omitted; rejected cancel promise', async () => {
      const rs = recordingReadableStream(impl, throwsError2);
      const ws = await erroredByWrite();
      // pipeTo rejects with the cancel's error2; SPEC 5 keeps the original error.
      await expectErrorEnding(splice(rs, ws), error1);
      expect(rs.eventsWithoutPulls).toEqual(['cancel', error1]);
      expect(ws.events).toEqual(['write', 'Hello']);
    });

    for (const [name, falsy] of FALSY) {
      it(`Errors must be propagated backward: becomes errored before piping due to write; preventCancel = ${name} (falsy); fulfilled cancel promise`, async () => {
        const rs = recordingReadableStream(impl);
        const ws = await erroredByWrite();
        await expectErrorEnding(splice(rs, ws, { preventCancel: falsy }), error1);
        expect(rs.eventsWithoutPulls).toEqual(['cancel', error1]);
        expect(ws.events).toEqual(['write', 'Hello']);
      });
    }

    for (const [title, options] of [
      ...TRUTHY.map(([name, truthy]) => [`becomes errored before piping due to write; preventCancel = ${name} (truthy)`, { preventCancel: truthy }] as const),
      ['becomes errored before piping due to write, preventCancel = true; preventAbort = true', { preventCancel: true, preventAbort: true }] as const,
      ['becomes errored before piping due to write; preventCancel = true, preventAbort = true, preventClose = true', { preventCancel: true, preventAbort: true, preventClose: true }] as const,
    ]) {
      it(`Errors must be propagated backward: ${title}`, async () => {
        const rs = recordingReadableStream(impl);
        const ws = await erroredByWrite();
        await expectErrorEnding(splice(rs, ws, options), error1);
        expect(rs.eventsWithoutPulls).toEqual([]);
        expect(ws.events).toEqual(['write', 'Hello']);
        // The source lives on, released.
        expect(rs.locked).toBe(false);
      });
    }

    const startsWithHello = (extras = {}) => recordingReadableStream(impl, { start: (c) => c.enqueue(bytes('Hello')), ...extras });
    const failingWrites = () => recordingWritableStream(impl, { write: () => { throw error1; } });

    it('Errors must be propagated backward: becomes errored during piping due to write; preventCancel omitted; fulfilled cancel promise', async () => {
      const rs = startsWithHello();
      const ws = failingWrites();
      const result = await expectErrorEnding(splice(rs, ws), error1);
      expect(rs.eventsWithoutPulls).toEqual(['cancel', error1]);
      expect(ws.events).toEqual(['write', 'Hello']);
      // The drain took 'Hello' into its queue, then lost it: handed over, so counted
      // (the source resumes after it; docs/wpt-differences.md).
      expect(result.bytes).toBe(5);
    });

    it('Errors must be propagated backward: becomes errored during piping due to write; preventCancel omitted; rejected cancel promise', async () => {
      const rs = startsWithHello(throwsError2);
      const ws = failingWrites();
      await expectErrorEnding(splice(rs, ws), error1);
      expect(rs.eventsWithoutPulls).toEqual(['cancel', error1]);
      expect(ws.events).toEqual(['write', 'Hello']);
    });

    it('Errors must be propagated backward: becomes errored during piping due to write; preventCancel = true', async () => {
      const rs = startsWithHello();
      const ws = failingWrites();
      await expectErrorEnding(splice(rs, ws, { preventCancel: true }), error1);
      expect(rs.eventsWithoutPulls).toEqual([]);
      expect(ws.events).toEqual(['write', 'Hello']);
    });

    const abc = (extras = {}) =>
      recordingReadableStream(impl, {
        start(c) {
          for (const chunk of ['a', 'b', 'c']) c.enqueue(bytes(chunk));
        },
        ...extras,
      });
    const failsAsyncOnThirdEvent = () => {
      const ws = recordingWritableStream(impl, {
        write: () => (ws.events.length > 2 ? delay(0).then(() => { throw error1; }) : undefined),
      });
      return ws;
    };

    for (const [title, rsExtras, options, cancelled] of [
      ['preventCancel = false; fulfilled cancel promise', {}, {}, true],
      ['preventCancel = false; rejected cancel promise', throwsError2, {}, true],
      ['preventCancel = true', {}, { preventCancel: true }, false],
    ] as const) {
      it(`Errors must be propagated backward: becomes errored during piping due to write, but async; ${title}`, async () => {
        const rs = abc(rsExtras);
        const ws = failsAsyncOnThirdEvent();
        const result = await expectErrorEnding(splice(rs, ws, options), error1);
        expect(rs.eventsWithoutPulls).toEqual(cancelled ? ['cancel', error1] : []);
        expect(ws.events).toEqual(['write', 'a', 'write', 'b']);
        expect(result.bytes, "'a' and 'b' handed over ('b' then lost by the drain)").toBe(2);
      });
    }

    for (const neverDesires of [false, true]) {
      const dest = neverDesires ? 'dest never desires chunks; ' : '';
      const strategy = neverDesires ? countStrategy(impl, 0) : undefined;
      const title = (rest: string) =>
        `Errors must be propagated backward: becomes errored after piping; ${dest}${rest}`.replace('preventCancel omitted', neverDesires ? 'preventCancel = false' : 'preventCancel omitted');
      for (const [rest, rsExtras, options, cancelled] of [
        ['preventCancel omitted; fulfilled cancel promise', {}, {}, true],
        ['preventCancel omitted; rejected cancel promise', throwsError2, {}, true],
        ['preventCancel = true', {}, { preventCancel: true }, false],
      ] as const) {
        it(title(rest), async () => {
          const rs = recordingReadableStream(impl, rsExtras);
          const ws = recordingWritableStream(impl, {}, strategy);
          const s = splice(rs, ws, options);
          setTimeout(() => ws.controller.error(error1), 10);
          await expectErrorEnding(s, error1);
          expect(rs.eventsWithoutPulls).toEqual(cancelled ? ['cancel', error1] : []);
          expect(ws.events).toEqual([]);
        });
      }
    }

    for (const [title, options] of [
      ['preventCancel omitted (but cancel is never called)', {}],
      ['preventCancel = true', { preventCancel: true }],
    ] as const) {
      it(`Errors must be propagated backward: becomes errored after piping due to last write; source is closed; ${title}`, async () => {
        const rs = abc({ start(c: ReadableStreamDefaultController<Uint8Array>) {
          for (const chunk of ['a', 'b', 'c']) c.enqueue(bytes(chunk));
          c.close();
        } });
        const ws = recordingWritableStream(impl, { write: (chunk) => (chunk[0] === 0x63 ? Promise.reject(error1) : undefined) });
        // The source reached EOF: the ending is the failed close (SPEC 4.5);
        // all three chunks were handed over.
        const result = await expectErrorEnding(splice(rs, ws, options), error1);
        expect(rs.eventsWithoutPulls).toEqual([]);
        expect(ws.events).toEqual(['write', 'a', 'write', 'b', 'write', 'c']);
        expect(result.bytes).toBe(3);
      });
    }

    it('Errors must be propagated backward: becomes errored before piping via abort; preventCancel omitted; fulfilled cancel promise', async () => {
      const rs = recordingReadableStream(impl);
      const ws = recordingWritableStream(impl);
      ws.abort(error1).catch(() => {});
      await expectErrorEnding(splice(rs, ws), error1);
      expect(rs.eventsWithoutPulls).toEqual(['cancel', error1]);
      expect(ws.events).toEqual(['abort', error1]);
    });

    it('Errors must be propagated backward: becomes errored before piping via abort; preventCancel omitted; rejected cancel promise', async () => {
      const rs = recordingReadableStream(impl, throwsError2);
      const ws = recordingWritableStream(impl);
      ws.abort(error1).catch(() => {});
      await expectErrorEnding(splice(rs, ws), error1);
      await expect(ws.getWriter().closed).rejects.toBe(error1);
      expect(rs.eventsWithoutPulls).toEqual(['cancel', error1]);
      expect(ws.events).toEqual(['abort', error1]);
    });

    it('Errors must be propagated backward: becomes errored before piping via abort; preventCancel = true', async () => {
      const rs = recordingReadableStream(impl);
      const ws = recordingWritableStream(impl);
      ws.abort(error1).catch(() => {});
      await expectErrorEnding(splice(rs, ws, { preventCancel: true }), error1);
      expect(rs.eventsWithoutPulls).toEqual([]);
      expect(ws.events).toEqual(['abort', error1]);
    });

    it('Errors must be propagated backward: erroring via the controller errors once pending write completes', async () => {
      const rs = recordingReadableStream(impl);
      let writeCalled!: () => void;
      const firstWrite = new Promise<void>((resolve) => (writeCalled = resolve));
      const ws = recordingWritableStream(impl, {
        write() {
          writeCalled();
          return flushAsyncEvents();
        },
      });
      const s = splice(rs, ws);
      rs.controller.enqueue(bytes('a'));
      await firstWrite;
      ws.controller.error(error1);
      const result = await expectErrorEnding(s, error1);
      expect(rs.eventsWithoutPulls).toEqual(['cancel', error1]);
      expect(ws.events).toEqual(['write', 'a']);
      // The write in flight completed before the error took effect.
      expect(result.bytes).toBe(1);
    });
  });
}
