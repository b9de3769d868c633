/**
 * Port of WPT streams/piping/flow-control.any.js to spliceStreams (SPEC 4.1:
 * chunks move only while the writable signals room, as pipeTo).
 */
import { describe, expect, it } from 'vitest';
import {
  bytes, countStrategy, error1, expectErrorEnding, flushAsyncEvents, IMPLS, readableStreamToArray,
  recordingReadableStream, recordingWritableStream, splice, wptFile,
} from './_recording';

/** WPT's StepTracker: step n resolves when reached and advances to n + 1 shortly after. */
class StepTracker {
  readonly #waiters: Promise<void>[] = [];
  readonly #wakers: (() => void)[] = [];

  waitThenAdvance(n: number): Promise<void> {
    if (this.#waiters[n] === undefined) {
      this.#waiters[n] = new Promise<void>((resolve) => (this.#wakers[n] = resolve));
      void this.#waiters[n]!.then(flushAsyncEvents).then(() => this.#wakers[n + 1]?.());
    }
    if (n === 0) this.#wakers[0]!();
    return this.#waiters[n]!;
  }
}

for (const [implName, impl] of Object.entries(IMPLS)) {
  describe(wptFile('flow-control.any.js', implName), () => {
    it('Piping from a non-empty ReadableStream into a WritableStream that does not desire chunks', async () => {
      const rs = recordingReadableStream(impl, {
        start(c) {
          c.enqueue(bytes('a'));
          c.enqueue(bytes('b'));
          c.close();
        },
      });
      const ws = recordingWritableStream(impl, {}, countStrategy(impl, 0));
      const s = splice(rs, ws, { preventCancel: true });
      await flushAsyncEvents();
      ws.controller.error(error1);
      const result = await expectErrorEnding(s, error1);
      expect(result.remainder).toBeUndefined();
      expect(rs.eventsWithoutPulls).toEqual([]);
      expect(ws.events).toEqual([]);
      expect(await readableStreamToArray(rs)).toEqual(['a', 'b']);
    });

    it('Piping from a non-empty ReadableStream into a WritableStream that does not desire chunks, but then does', async () => {
      const rs = recordingReadableStream(impl, {
        start(c) {
          c.enqueue(bytes('b'));
          c.close();
        },
      });
      let resolveWrite: (() => void) | undefined;
      const ws = recordingWritableStream(impl, { write: () => (resolveWrite ? undefined : new Promise<void>((resolve) => (resolveWrite = resolve))) });
      const writer = ws.getWriter();
      const firstWrite = writer.write(bytes('a'));
      expect(writer.desiredSize).toBe(0);
      writer.releaseLock();
      const s = splice(rs, ws);
      await flushAsyncEvents();
      resolveWrite!();
      await firstWrite;
      expect(await s.done).toEqual({ reason: 'eof', bytes: 1 });
      expect(rs.eventsWithoutPulls).toEqual([]);
      expect(ws.events).toEqual(['write', 'a', 'write', 'b', 'close']);
    });

    it('Piping from an empty ReadableStream into a WritableStream that does not desire chunks, but then the readable stream becomes non-empty and the writable stream starts desiring chunks', async () => {
      const rs = recordingReadableStream(impl);
      const startPromise = Promise.resolve();
      let resolveWrite: (() => void) | undefined;
      const ws = recordingWritableStream(impl, {
        start: () => startPromise,
        write: () => (resolveWrite ? undefined : new Promise<void>((resolve) => (resolveWrite = resolve))),
      });
      const writer = ws.getWriter();
      void writer.write(bytes('a'));
      await startPromise;
      // WPT checks right after startPromise; Node's and the polyfill's start take a few more ticks.
      await flushAsyncEvents();
      expect(ws.events).toEqual(['write', 'a']);
      expect(writer.desiredSize).toBe(0);
      writer.releaseLock();
      const s = splice(rs, ws);
      rs.controller.enqueue(bytes('b'));
      resolveWrite!();
      rs.controller.close();
      expect(await s.done).toEqual({ reason: 'eof', bytes: 1 });
      expect(rs.eventsWithoutPulls).toEqual([]);
      expect(ws.events).toEqual(['write', 'a', 'write', 'b', 'close']);
    });

    it('Piping from a ReadableStream to a WritableStream that desires more chunks before finishing with previous ones', async () => {
      const unread = ['b', 'c', 'd'];
      const rs = recordingReadableStream(
        impl,
        {
          pull(c) {
            c.enqueue(bytes(unread.shift()!));
            if (unread.length === 0) c.close();
          },
        },
        countStrategy(impl, 0),
      );
      let resolveWrite: (() => void) | undefined;
      const ws = recordingWritableStream(
        impl,
        { write: () => (resolveWrite ? undefined : new Promise<void>((resolve) => (resolveWrite = resolve))) },
        countStrategy(impl, 3),
      );
      const writer = ws.getWriter();
      const firstWrite = writer.write(bytes('a'));
      expect(writer.desiredSize).toBe(2);
      writer.releaseLock();
      const s = splice(rs, ws);
      await flushAsyncEvents();
      expect(ws.events).toEqual(['write', 'a']);
      expect(unread.length, 'chunks should continue to be enqueued until the HWM is reached').toBe(1);
      resolveWrite!();
      await firstWrite;
      expect(await s.done).toEqual({ reason: 'eof', bytes: 3 });
      expect(rs.events).toEqual(['pull', 'pull', 'pull']);
      expect(ws.events).toEqual(['write', 'a', 'write', 'b', 'write', 'c', 'write', 'd', 'close']);
    });

    it('Piping to a WritableStream that does not consume the writes fast enough exerts backpressure on the ReadableStream', async () => {
      const steps = new StepTracker();
      const desiredSizes: (number | null)[] = [];
      const rs = recordingReadableStream(impl, {
        start(c) {
          const enqueue = (chunk: string) => {
            c.enqueue(bytes(chunk));
            desiredSizes.push(c.desiredSize);
          };
          void steps.waitThenAdvance(1).then(() => enqueue('a'));
          void steps.waitThenAdvance(3).then(() => enqueue('b'));
          void steps.waitThenAdvance(5).then(() => enqueue('c'));
          void steps.waitThenAdvance(7).then(() => enqueue('d'));
          void steps.waitThenAdvance(11).then(() => c.close());
        },
      });
      const finished: string[] = [];
      const writableStart = Promise.resolve();
      let writeCalled = false;
      const ws = recordingWritableStream(impl, {
        start: () => writableStart,
        write(chunk) {
          const step = writeCalled ? 12 : 9;
          writeCalled = true;
          return steps.waitThenAdvance(step).then(() => void finished.push(new TextDecoder().decode(chunk)));
        },
      });
      await writableStart;
      const s = splice(rs, ws);
      void steps.waitThenAdvance(0);
      await Promise.all([
        steps.waitThenAdvance(2).then(() => {
          expect(finished).toEqual([]);
          expect(ws.events).toEqual(['write', 'a']);
          expect(desiredSizes).toEqual([1]);
          expect(rs.controller.desiredSize).toBe(1);
        }),
        steps.waitThenAdvance(4).then(() => {
          expect(finished).toEqual([]);
          expect(ws.events).toEqual(['write', 'a']);
          expect(desiredSizes).toEqual([1, 0]);
          expect(rs.controller.desiredSize).toBe(0);
        }),
        steps.waitThenAdvance(6).then(() => {
          expect(ws.events).toEqual(['write', 'a']);
          expect(desiredSizes).toEqual([1, 0, -1]);
          expect(rs.controller.desiredSize).toBe(-1);
        }),
        steps.waitThenAdvance(8).then(() => {
          expect(ws.events).toEqual(['write', 'a']);
          expect(desiredSizes).toEqual([1, 0, -1, -2]);
          expect(rs.controller.desiredSize).toBe(-2);
        }),
        steps.waitThenAdvance(10).then(() => {
          expect(finished).toEqual(['a']);
          expect(ws.events).toEqual(['write', 'a', 'write', 'b']);
          expect(rs.controller.desiredSize).toBe(-1);
        }),
        s.done.then((result) => {
          expect(result).toEqual({ reason: 'eof', bytes: 4 });
          expect(desiredSizes, 'backpressure must have been exerted at the source').toEqual([1, 0, -1, -2]);
          expect(finished).toEqual(['a', 'b', 'c', 'd']);
          expect(rs.eventsWithoutPulls).toEqual([]);
          expect(ws.events).toEqual(['write', 'a', 'write', 'b', 'write', 'c', 'write', 'd', 'close']);
        }),
      ]);
    });
  });
}
