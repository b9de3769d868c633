/**
 * SPEC.md 3, the validation table: bad arguments throw synchronously, with a
 * `code`, a message naming the argument and the value, and nothing locked.
 */
import { describe, expect, it } from 'vitest';
import { ReadableStream as PolyfillReadableStream, WritableStream as PolyfillWritableStream } from 'web-streams-polyfill';
import { spliceBidirectional, spliceStreams } from '@sosplice/core';
import type { SpliceEndpoint } from '@sosplice/core';
import { memoryEndpoint } from './harness/memory';
import { readAtLeast, remainderOf, text, withTimeout } from './harness/_util';

const fresh = (): SpliceEndpoint => ({ readable: new ReadableStream<Uint8Array>(), writable: new WritableStream<Uint8Array>() });

/** How a message can name a received value: primitives verbatim, objects by kind. */
function mentionsValue(message: string, value: unknown): boolean {
  if (typeof value === 'object' && value !== null) return /object|instance|stream/i.test(message);
  if (typeof value === 'function') return /function/i.test(message);
  return message.includes(String(value));
}

function thrown(fn: () => unknown): (Error & { code?: string }) | undefined {
  try {
    fn();
  } catch (error) {
    return error as Error & { code?: string };
  }
  return undefined;
}

function expectArgError(
  fn: () => unknown,
  type: typeof TypeError | typeof RangeError,
  code: string,
  argument: RegExp,
  value?: { value: unknown },
): void {
  const error = thrown(fn);
  expect(error, 'did not throw synchronously').toBeInstanceOf(type);
  expect(error!.code).toBe(code);
  expect(error!.message).toMatch(argument);
  if (value) expect(mentionsValue(error!.message, value.value), `message does not name the value: ${error!.message}`).toBe(true);
}

function expectAllUnlocked(...endpoints: SpliceEndpoint[]): void {
  for (const [i, e] of endpoints.entries()) {
    expect(e.readable.locked, `readable ${i} left locked`).toBe(false);
    expect(e.writable.locked, `writable ${i} left locked`).toBe(false);
  }
}

type Row = { what: string; options: unknown; argument: RegExp; value: unknown };

const typeRows: Row[] = [
  { what: 'options a string', options: 'fast', argument: /options/, value: 'fast' },
  { what: 'options a number', options: 42, argument: /options/, value: 42 },
  { what: 'options a boolean', options: true, argument: /options/, value: true },
  { what: 'max a string', options: { max: '5' }, argument: /max/, value: '5' },
  { what: 'max a bigint', options: { max: 5n }, argument: /max/, value: 5n },
  { what: 'max a boolean', options: { max: true }, argument: /max/, value: true },
  { what: 'max an object', options: { max: {} }, argument: /max/, value: {} },
  { what: 'idle a string', options: { idle: '100' }, argument: /idle/, value: '100' },
  { what: 'idle a boolean', options: { idle: false }, argument: /idle/, value: false },
  { what: 'signal a plain object', options: { signal: { aborted: false } }, argument: /signal/, value: { aborted: false } },
  { what: 'signal a string', options: { signal: 'abort' }, argument: /signal/, value: 'abort' },
  { what: 'signal an AbortController', options: { signal: new AbortController() }, argument: /signal/, value: {} },
  // SPEC 5.1: a boolean; a truthy string must not link a pair by accident.
  { what: 'linked a string', options: { linked: 'false' }, argument: /linked/, value: 'false' },
  { what: 'linked a number', options: { linked: 1 }, argument: /linked/, value: 1 },
];

const rangeRows: Row[] = [
  { what: 'max negative', options: { max: -1 }, argument: /max/, value: -1 },
  { what: 'max fractional', options: { max: 1.5 }, argument: /max/, value: 1.5 },
  { what: 'max NaN', options: { max: Number.NaN }, argument: /max/, value: Number.NaN },
  { what: 'max above MAX_SAFE_INTEGER', options: { max: 2 ** 53 }, argument: /max/, value: 2 ** 53 },
  { what: 'max Infinity', options: { max: Number.POSITIVE_INFINITY }, argument: /max/, value: Number.POSITIVE_INFINITY },
  { what: 'idle negative', options: { idle: -5 }, argument: /idle/, value: -5 },
  { what: 'idle NaN', options: { idle: Number.NaN }, argument: /idle/, value: Number.NaN },
];

const notReadable: Array<[string, unknown]> = [
  ['undefined', undefined],
  ['null', null],
  ['a string', 'stream'],
  ['a plain object', {}],
  ['a WritableStream', new WritableStream()],
];
const notWritable: Array<[string, unknown]> = [
  ['undefined', undefined],
  ['a number', 7],
  ['a plain object', {}],
  ['a ReadableStream', new ReadableStream()],
];

describe('3 Validation: spliceStreams', () => {
  for (const [what, value] of notReadable) {
    it(`throws ERR_INVALID_ARG_TYPE naming readable when it is ${what}, locking nothing`, () => {
      const e = fresh();
      expectArgError(() => spliceStreams(value as never, e.writable), TypeError, 'ERR_INVALID_ARG_TYPE', /readable/, { value });
      expectAllUnlocked(e);
    });
  }
  for (const [what, value] of notWritable) {
    it(`throws ERR_INVALID_ARG_TYPE naming writable when it is ${what}, locking nothing`, () => {
      const e = fresh();
      expectArgError(() => spliceStreams(e.readable, value as never), TypeError, 'ERR_INVALID_ARG_TYPE', /writable/, { value });
      expectAllUnlocked(e);
    });
  }
  for (const row of typeRows) {
    it(`throws ERR_INVALID_ARG_TYPE when ${row.what}, locking nothing`, () => {
      const e = fresh();
      expectArgError(() => spliceStreams(e.readable, e.writable, row.options as never), TypeError, 'ERR_INVALID_ARG_TYPE', row.argument, row);
      expectAllUnlocked(e);
    });
  }
  for (const row of rangeRows) {
    it(`throws ERR_OUT_OF_RANGE when ${row.what}, locking nothing`, () => {
      const e = fresh();
      expectArgError(() => spliceStreams(e.readable, e.writable, row.options as never), RangeError, 'ERR_OUT_OF_RANGE', row.argument, row);
      expectAllUnlocked(e);
    });
  }

  it('throws ERR_SPLICE_BUSY naming readable when it is held by a reader, leaving the writable unlocked', () => {
    const e = fresh();
    const reader = e.readable.getReader();
    expectArgError(() => spliceStreams(e.readable, e.writable), TypeError, 'ERR_SPLICE_BUSY', /readable/);
    expect(e.writable.locked).toBe(false);
    reader.releaseLock();
  });

  it('throws ERR_SPLICE_BUSY naming writable when it is held by a writer, leaving the readable unlocked', () => {
    const e = fresh();
    const writer = e.writable.getWriter();
    expectArgError(() => spliceStreams(e.readable, e.writable), TypeError, 'ERR_SPLICE_BUSY', /writable/);
    expect(e.readable.locked).toBe(false);
    writer.releaseLock();
  });

  it('throws ERR_SPLICE_BUSY for a readable or writable that is already spliced', async () => {
    const a = fresh();
    const b = fresh();
    const s = spliceStreams(a.readable, a.writable);
    expectArgError(() => spliceStreams(a.readable, b.writable), TypeError, 'ERR_SPLICE_BUSY', /readable/);
    expectArgError(() => spliceStreams(b.readable, a.writable), TypeError, 'ERR_SPLICE_BUSY', /writable/);
    expectAllUnlocked(b);
    await s.unsplice();
    expectAllUnlocked(a);
  });

  it('checks options before locks: a bad option on a locked stream is still a type error', () => {
    const e = fresh();
    const reader = e.readable.getReader();
    expectArgError(() => spliceStreams(e.readable, e.writable, { max: 'x' } as never), TypeError, 'ERR_INVALID_ARG_TYPE', /max/);
    reader.releaseLock();
  });

  it('accepts valid edge values: max 0 and MAX_SAFE_INTEGER, idle 0 and fractional, empty options', async () => {
    // `linked` is accepted (and has nothing to link) on a one-way splice: one options object serves both calls.
    const edge = [{}, { max: 0 }, { max: Number.MAX_SAFE_INTEGER }, { idle: 0 }, { idle: 1.5 }, { signal: new AbortController().signal }, { linked: true }, { linked: false }];
    for (const options of edge) {
      const e = fresh();
      const s = spliceStreams(e.readable, e.writable, options);
      expect(e.readable.locked).toBe(true);
      await s.unsplice();
    }
  });

  it('accepts streams of another implementation (web-streams-polyfill)', async () => {
    const readable = new PolyfillReadableStream<Uint8Array>() as unknown as ReadableStream<Uint8Array>;
    const writable = new PolyfillWritableStream<Uint8Array>() as unknown as WritableStream<Uint8Array>;
    const s = spliceStreams(readable, writable);
    expect(readable.locked && writable.locked).toBe(true);
    expect(await s.unsplice()).toMatchObject({ reason: 'unsplice', bytes: 0 });
  });

  it("with an already-aborted signal, done is { reason: 'unsplice', bytes: 0 } and the streams stay untouched", async () => {
    const { endpoint: a, peer } = memoryEndpoint({ impl: 'native', byteStream: true });
    const b = fresh();
    await peer.write(text('queued'));
    const s = spliceStreams(a.readable, b.writable, { signal: AbortSignal.abort() });
    expectAllUnlocked({ readable: a.readable, writable: b.writable });
    const result = await withTimeout(s.done, 1000, 'done');
    expect(result).toMatchObject({ reason: 'unsplice', bytes: 0 });
    expect(result.error).toBeUndefined();
    expect(remainderOf(result)).toHaveLength(0);
    expect(new TextDecoder().decode(await readAtLeast(a.readable, 6))).toBe('queued');
  });
});

describe('3 Validation: spliceBidirectional', () => {
  it('throws ERR_INVALID_ARG_TYPE when an endpoint is not { readable, writable }, locking nothing', () => {
    const b = fresh();
    for (const bad of [undefined, null, {}, { readable: new ReadableStream() }, { writable: new WritableStream() }]) {
      const error = thrown(() => spliceBidirectional(bad as never, b));
      expect(error).toBeInstanceOf(TypeError);
      expect(error!.code).toBe('ERR_INVALID_ARG_TYPE');
      expect(error!.message).toMatch(/\ba\b|readable|writable/);
      expectAllUnlocked(b);
    }
  });

  // Regression (issue 16): the brand check of the `locked` getter threw
  // ERR_INVALID_THIS before the endpoint could be named.
  it('throws ERR_INVALID_ARG_TYPE naming the stream of an endpoint that only inherits a stream prototype', () => {
    const b = fresh();
    const fakes = [
      ['a.readable', { readable: Object.create(ReadableStream.prototype), writable: new WritableStream() }],
      ['a.writable', { readable: new ReadableStream(), writable: Object.create(WritableStream.prototype) }],
    ] as const;
    for (const [name, a] of fakes) {
      const error = thrown(() => spliceBidirectional(a as SpliceEndpoint, b));
      expect(error).toBeInstanceOf(TypeError);
      expect(error!.code).toBe('ERR_INVALID_ARG_TYPE');
      expect(error!.message).toContain(`"${name}"`);
      expectAllUnlocked(b);
    }
  });

  it('throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for bad options, locking nothing', () => {
    const a = fresh();
    const b = fresh();
    for (const row of typeRows) {
      expectArgError(() => spliceBidirectional(a, b, row.options as never), TypeError, 'ERR_INVALID_ARG_TYPE', row.argument, row);
    }
    for (const row of rangeRows) {
      expectArgError(() => spliceBidirectional(a, b, row.options as never), RangeError, 'ERR_OUT_OF_RANGE', row.argument, row);
    }
    expectAllUnlocked(a, b);
  });

  it('throws ERR_SPLICE_BUSY when any of the four streams is locked, and leaves the others unlocked', () => {
    const streams = ['a.readable', 'a.writable', 'b.readable', 'b.writable'] as const;
    for (const which of streams) {
      const a = fresh();
      const b = fresh();
      const [side, kind] = which.split('.') as ['a' | 'b', 'readable' | 'writable'];
      const target = (side === 'a' ? a : b)[kind];
      const lock = kind === 'readable' ? (target as ReadableStream).getReader() : (target as WritableStream).getWriter();
      expectArgError(() => spliceBidirectional(a, b), TypeError, 'ERR_SPLICE_BUSY', new RegExp(kind));
      for (const other of streams.filter((s) => s !== which)) {
        const [os, ok] = other.split('.') as ['a' | 'b', 'readable' | 'writable'];
        expect((os === 'a' ? a : b)[ok].locked, `${other} left locked after ${which} was busy`).toBe(false);
      }
      lock.releaseLock();
    }
  });

  it("with an already-aborted signal, both directions are { reason: 'unsplice', bytes: 0 } and nothing is locked", async () => {
    const a = fresh();
    const b = fresh();
    const p = spliceBidirectional(a, b, { signal: AbortSignal.abort() });
    expectAllUnlocked(a, b);
    const [ab, ba] = await withTimeout(p.done, 1000, 'pair.done');
    expect(ab).toMatchObject({ reason: 'unsplice', bytes: 0 });
    expect(ba).toMatchObject({ reason: 'unsplice', bytes: 0 });
  });
});
