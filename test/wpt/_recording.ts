/**
 * The helpers of WPT's `streams/resources/recording-streams.js` and
 * `test-utils.js`, for the port of `streams/piping/*.any.js` to
 * `spliceStreams`: streams that record what is done to them, built from the
 * runtime's own Web Streams or from web-streams-polyfill.
 *
 * Spliced streams carry bytes, so WPT's string chunks ('a', 'Hello') are
 * written as their UTF-8 bytes, and recorded back as strings.
 */
import * as polyfill from 'web-streams-polyfill';
import { expect } from 'vitest';
import { type Splice, type SpliceOptions, type SpliceResult, spliceStreams } from '@sosplice/core';

export interface StreamsImpl {
  ReadableStream: typeof ReadableStream;
  WritableStream: typeof WritableStream;
  CountQueuingStrategy: typeof CountQueuingStrategy;
}

/** Every Web Streams implementation the port runs on. */
export const IMPLS: Record<'native' | 'polyfill', StreamsImpl> = {
  native: globalThis,
  polyfill: polyfill as unknown as StreamsImpl,
};

export const error1 = Object.assign(new Error('error1!'), { name: 'error1' });
export const error2 = Object.assign(new Error('error2!'), { name: 'error2' });

/** A WPT chunk as bytes. */
export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const decode = (chunk: unknown): unknown => (chunk instanceof Uint8Array ? new TextDecoder().decode(chunk) : chunk);

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** WPT's flushAsyncEvents: a few macrotasks, so every pending reaction ran. */
export const flushAsyncEvents = (): Promise<void> => delay(0).then(() => delay(0)).then(() => delay(0)).then(() => delay(0));

type Extras<C> = {
  start?: (controller: C) => unknown;
  pull?: (controller: C) => unknown;
  cancel?: (reason: unknown) => unknown;
};

export type RecordingReadable = ReadableStream<Uint8Array> & {
  events: unknown[];
  readonly eventsWithoutPulls: unknown[];
  controller: ReadableStreamDefaultController<Uint8Array>;
};

export function recordingReadableStream(
  impl: StreamsImpl,
  extras: Extras<ReadableStreamDefaultController<Uint8Array>> = {},
  strategy?: QueuingStrategy<Uint8Array>,
): RecordingReadable {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const events: unknown[] = [];
  const stream = new impl.ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
        return extras.start?.(c);
      },
      pull(c) {
        events.push('pull');
        return extras.pull?.(c);
      },
      cancel(reason) {
        events.push('cancel', reason);
        return extras.cancel?.(reason);
      },
    } as UnderlyingDefaultSource<Uint8Array>,
    strategy,
  ) as RecordingReadable;
  stream.controller = controller;
  stream.events = events;
  Object.defineProperty(stream, 'eventsWithoutPulls', { get: () => events.filter((e) => e !== 'pull') });
  return stream;
}

type SinkExtras = {
  start?: (controller: WritableStreamDefaultController) => unknown;
  write?: (chunk: Uint8Array, controller: WritableStreamDefaultController) => unknown;
  close?: () => unknown;
  abort?: (reason: unknown) => unknown;
};

export type RecordingWritable = WritableStream<Uint8Array> & { events: unknown[]; controller: WritableStreamDefaultController };

export function recordingWritableStream(impl: StreamsImpl, extras: SinkExtras = {}, strategy?: QueuingStrategy<Uint8Array>): RecordingWritable {
  let controller!: WritableStreamDefaultController;
  const events: unknown[] = [];
  const stream = new impl.WritableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
        return extras.start?.(c);
      },
      write(chunk, c) {
        events.push('write', decode(chunk));
        return extras.write?.(chunk, c) as Promise<void> | undefined;
      },
      close() {
        events.push('close');
        return extras.close?.() as Promise<void> | undefined;
      },
      abort(reason) {
        events.push('abort', reason);
        return extras.abort?.(reason) as Promise<void> | undefined;
      },
    },
    strategy,
  ) as RecordingWritable;
  stream.controller = controller;
  stream.events = events;
  return stream;
}

/** A count strategy of the implementation under test. */
export const countStrategy = (impl: StreamsImpl, highWaterMark: number): QueuingStrategy<Uint8Array> =>
  new impl.CountQueuingStrategy({ highWaterMark });

/** Every chunk left in `rs`, as strings (WPT's readableStreamToArray). */
export async function readableStreamToArray(rs: ReadableStream<Uint8Array>): Promise<unknown[]> {
  const reader = rs.getReader();
  const out: unknown[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return out;
    out.push(decode(value));
  }
}

/**
 * Where pipeTo's promise rejects with `error`: SPEC 5, `done` resolves with
 * reason 'error' and the original error (never the abort's or cancel's own).
 */
export async function expectErrorEnding(splice: Splice, error: unknown): Promise<SpliceResult> {
  const result = await splice.done;
  expect(result.reason).toBe('error');
  expect('error' in result, 'result.error present').toBe(true);
  expect(result.error).toBe(error);
  return result;
}

/** Where pipeTo rejects with a TypeError because the writable is closed or closing. */
export async function expectClosedDrainEnding(splice: Splice): Promise<SpliceResult> {
  const result = await splice.done;
  expect(result.reason).toBe('error');
  expect(result.error).toBeInstanceOf(TypeError);
  expect((result.error as { code?: string }).code).toBe('ERR_INVALID_STATE');
  return result;
}

/** WPT's falsy and truthy option values (SPEC 2: prevent* options are read as booleans). */
export const FALSY: ReadonlyArray<[string, unknown]> = [undefined, null, false, +0, -0, Number.NaN, ''].map((v) => [Object.is(v, -0) ? '-0' : String(v), v]);
export const TRUTHY: ReadonlyArray<[string, unknown]> = [true, 'a', 1, Symbol(), {}].map((v) => [String(v), v]);

/** `spliceStreams` with WPT's loosely typed options (truthy and falsy values). */
export const splice = (rs: ReadableStream<Uint8Array>, ws: WritableStream<Uint8Array>, options?: Record<string, unknown>): Splice =>
  spliceStreams(rs, ws, options as SpliceOptions);

/** The test's title under its WPT file, as the port names every test. */
export const wptFile = (file: string, impl: string): string => `WPT streams/piping/${file} (${impl} streams)`;

/** A recording writable whose writes complete only when the test says so (WPT's resolveWritePromise). */
export function heldWrites(impl: StreamsImpl, highWaterMark?: number) {
  let writeCalled!: () => void;
  const firstWrite = new Promise<void>((resolve) => (writeCalled = resolve));
  let resolveWrite!: () => void;
  const ws = recordingWritableStream(
    impl,
    {
      write() {
        writeCalled();
        return new Promise<void>((resolve) => (resolveWrite = resolve));
      },
    },
    highWaterMark === undefined ? undefined : countStrategy(impl, highWaterMark),
  );
  return { ws, firstWrite, resolveWrite: () => resolveWrite() };
}

/**
 * WPT's "after first write" setup: 'a' and 'b' spliced into a drain of
 * highWaterMark 2 whose first write is held; resolves once the sink holds
 * 'a' and 'b' waits in its queue.
 */
export async function spliceWithFirstWriteHeld(impl: StreamsImpl, options?: Record<string, unknown>) {
  const rs = recordingReadableStream(impl);
  const { ws, firstWrite, resolveWrite } = heldWrites(impl, 2);
  const s = splice(rs, ws, options);
  rs.controller.enqueue(bytes('a'));
  rs.controller.enqueue(bytes('b'));
  await firstWrite;
  await flushAsyncEvents();
  expect(ws.events).toEqual(['write', 'a']);
  return { rs, ws, s, resolveWrite };
}
