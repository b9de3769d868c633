/**
 * What every conformance section shares: the harness under test, endpoint
 * and splice factories that clean up after each test, and the checks that
 * several promises of docs/contract.md repeat ("both released, open, unlocked").
 */
import { expect } from 'vitest';
import { spliceBidirectional, spliceStreams } from '@sosplice/core';
import type { Splice, SpliceEndpoint, SpliceOptions, SplicePair, SpliceResult } from '@sosplice/core';
import type { Harness, Peer } from './_harness';
import { concat, expectBytes, readAtLeast, remainderOf, withTimeout, writeOnce } from '../harness/_util';

/** Generous bound for an awaited event; a failure names what never happened. */
export const T = 5_000;

export interface Side {
  readonly endpoint: SpliceEndpoint;
  readonly peer: Peer;
  /** `endpoint.readable` is a byte stream (from `harness.features`): `max` must be exact without `remainder`. */
  readonly byteStream: boolean;
}

export interface SuiteContext {
  /** The harness under test; set before the first test runs. */
  readonly harness: Harness;
  /** A fresh endpoint and its peer. */
  side(): Promise<Side>;
  /** `spliceStreams`, unspliced after the test if still running. */
  splice(readable: ReadableStream<Uint8Array>, writable: WritableStream<Uint8Array>, options?: SpliceOptions): Splice;
  /** `spliceBidirectional`, unspliced after the test if still running. */
  pair(a: SpliceEndpoint, b: SpliceEndpoint, options?: SpliceOptions): SplicePair;
}

/** Builds the context; `harness` is filled in by `describeConformance`'s `beforeAll`. */
export function createContext(): SuiteContext & { setHarness(h: Harness): void; cleanup(): Promise<void> } {
  let harness: Harness | undefined;
  let live: Array<{ unsplice(): Promise<unknown> }> = [];
  return {
    get harness() {
      if (!harness) throw new Error('conformance: harness not ready (beforeAll failed?)');
      return harness;
    },
    setHarness: (h) => void (harness = h),
    async side() {
      const { endpoint, peer } = await withTimeout(harness!.endpoint(), T, `${harness!.name}: endpoint()`);
      return { endpoint, peer, byteStream: harness!.features.byteStream };
    },
    splice(readable, writable, options) {
      const s = spliceStreams(readable, writable, options);
      live.push(s);
      return s;
    },
    pair(a, b, options) {
      const p = spliceBidirectional(a, b, options);
      live.push(p);
      return p;
    },
    async cleanup() {
      const all = live;
      live = [];
      await Promise.allSettled(all.map((s) => withTimeout(s.unsplice(), T, 'unsplice() in cleanup')));
    },
  };
}

/**
 * Awaits `done` with a named timeout and checks the shape every result must
 * have (docs/contract.md#api, 4.3, 5): `done` never rejects, `error` is present exactly for
 * 'error', a non-empty `remainder` only comes with 'max', or with 'error'
 * when a drain failed after a chunk was read (the source lives on).
 */
export async function doneOf(s: { done: Promise<SpliceResult> }, what = 'splice.done'): Promise<SpliceResult> {
  const result = await withTimeout(s.done, T, what);
  expectWellFormed(result);
  return result;
}

export function expectWellFormed(result: SpliceResult): void {
  expect(['eof', 'max', 'idle', 'unsplice', 'error']).toContain(result.reason);
  expect(Number.isSafeInteger(result.bytes) && result.bytes >= 0, `bytes ${result.bytes}`).toBe(true);
  if (result.reason === 'error') expect(result.error, "'error' without the error").toBeDefined();
  else expect(result.error, `'${result.reason}' carrying an error`).toBeUndefined();
  if (result.remainder !== undefined) {
    expect(result.remainder).toBeInstanceOf(Uint8Array);
    if (result.reason !== 'max' && result.reason !== 'error') expect(result.remainder.byteLength, `remainder with '${result.reason}'`).toBe(0);
  }
}

/** Both streams of a one-way splice are released: nobody holds a reader or writer. */
export function expectReleased(readable: ReadableStream<Uint8Array>, writable: WritableStream<Uint8Array>): void {
  expect(readable.locked, 'source still locked').toBe(false);
  expect(writable.locked, 'drain still locked').toBe(false);
}

/**
 * The source is open and usable: bytes the peer sends next are read by a
 * new reader. `pending` is what must come first (bytes the splice left in
 * the source, plus `remainder` already accounted by the caller).
 */
export async function expectSourceUsable(source: Side, pending: Uint8Array, next: Uint8Array): Promise<void> {
  await source.peer.write(next);
  const got = await readAtLeast(source.endpoint.readable, pending.byteLength + next.byteLength, T);
  expectBytes(got, concat(pending, next), 'source read after the splice');
}

/**
 * The drain is open and usable: a write reaches the peer after the `before`
 * bytes delivered earlier (which may still be on their way over a socket).
 */
export async function expectDrainUsable(drain: Side, before: number, next: Uint8Array): Promise<void> {
  await withTimeout(drain.peer.receivedAtLeast(before), T, `peer receiving the ${before} bytes delivered earlier`);
  expect(drain.peer.received().byteLength, 'the drain received more than was delivered').toBe(before);
  await withTimeout(writeOnce(drain.endpoint.writable, next), T, 'write to the drain after the splice');
  await withTimeout(drain.peer.receivedAtLeast(before + next.byteLength), T, 'peer receiving the write');
  expectBytes(drain.peer.received().subarray(before), next, 'drain write after the splice');
}

/**
 * The drain's peer received exactly `expected`. `done` settling means the
 * bytes were handed to the drain, not that they crossed a socket: wait for
 * their count first, then compare (which also fails on any byte too many).
 */
export async function expectReceived(drain: Side, expected: Uint8Array, what = 'bytes received'): Promise<void> {
  await withTimeout(drain.peer.receivedAtLeast(expected.byteLength), T, `peer receiving ${expected.byteLength} bytes: ${what}`);
  expectBytes(drain.peer.received(), expected, what);
}

/**
 * Conservation (docs/contract.md#flow-and-memory, 4.3, 4.5): what the drain's peer received is the
 * first `result.bytes` of `input`, and `remainder` followed by what a new
 * reader then reads from the source is the rest, in order.
 */
export async function expectConserved(source: Side, drain: Side, input: Uint8Array, result: SpliceResult): Promise<void> {
  await peerReceives(drain.peer, result.bytes);
  expectBytes(drain.peer.received(), input.subarray(0, result.bytes), 'delivered bytes');
  const remainder = remainderOf(result);
  // docs/contract.md#max: on a byte stream the surplus stays in the source itself.
  if (source.byteStream) expect(remainder.byteLength, 'remainder from a byte stream').toBe(0);
  const left = input.byteLength - result.bytes - remainder.byteLength;
  expect(left, 'remainder longer than what was left').toBeGreaterThanOrEqual(0);
  const rest = left > 0 ? await readAtLeast(source.endpoint.readable, left, T) : new Uint8Array(0);
  expectBytes(concat(remainder, rest), input.subarray(result.bytes), 'remainder + source after the splice');
}

/**
 * Waits for `peer` to have received `n` bytes. Over sockets on a loaded
 * machine a drain that was stalled can take a while to catch up (TCP
 * zero-window probes back off), so the bound is long; a failure says how
 * much did arrive, which tells lost bytes from late ones.
 */
export async function peerReceives(peer: Peer, n: number): Promise<void> {
  try {
    await withTimeout(peer.receivedAtLeast(n), 3 * T, `peer receiving the ${n} delivered bytes`);
  } catch (error) {
    throw new Error(`${(error as Error).message}; it received ${peer.received().byteLength}`);
  }
}

/** Writes `chunks` in order, each after the previous was accepted (the peer's own backpressure). */
export async function writeAll(peer: Peer, chunks: readonly Uint8Array[], accepted?: { bytes: number }): Promise<void> {
  for (const c of chunks) {
    if (accepted) accepted.bytes += c.byteLength;
    await peer.write(c);
  }
}

/** Tracks whether a promise settled, for "still running" checks without waiting. */
export function settledFlag(promise: Promise<unknown>): { readonly settled: boolean } {
  const flag = { settled: false };
  promise.then(
    () => void (flag.settled = true),
    () => void (flag.settled = true),
  );
  return flag;
}
