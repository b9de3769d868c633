/**
 * What the reliability scenarios share: a seeded random source, a bounded
 * sender that drives a peer, the per-runtime hooks a scenario may need, and
 * counters of what a process holds (sockets, handles, timers, heap).
 */
import { expect } from 'vitest';
import type { SpliceEndpoint, SpliceResult } from '@sosplice/core';
import type { Peer } from '../conformance/_harness';
import { concat, expectBytes, pattern, prng, withTimeout } from '../harness/_util';

/** Generous bound for one awaited event on a loaded 2-core machine. */
export const T = 10_000;

export { prng } from '../harness/_util';

/** A runtime's extra levers, given by the per-runtime entry file. */
export interface RuntimeHooks {
  /**
   * Wraps the runtime socket's own write under `endpoint` so `hook` runs
   * inside each write call (after the bytes were handed over); both paths
   * write through it. Absent where the runtime's socket cannot be wrapped.
   */
  onSocketWrite?(endpoint: SpliceEndpoint, hook: (bytes: number) => void): void;
  /**
   * Known product issues the scenarios tolerate, each named in the entry
   * file with its report; a tolerated outcome is counted in the figures.
   */
  known?: {
    /**
     * The harness's `Peer.reset()` is a real RST only once the endpoint read
     * everything the peer sent (Node 20's `resetAndDestroy()` sends a FIN
     * while sent data is still in flight): reset between writes, not during.
     */
    resetOnlyWhenCaughtUp?: boolean;
  };
  /** Sockets this process holds open now (the runtime's own count). */
  openSockets(): number;
  /** Other live handles and timers the runtime reports (names), if it reports any. */
  activeHandles(): string[];
  /** Heap in use after a full GC, or undefined where GC cannot be forced. */
  heapAfterGc(): Promise<number | undefined>;
}

/** TCP sockets this process holds, from the kernel's view (Linux /proc). */
export { procSockets } from '../../scripts/_proc-sockets.mjs';

/**
 * Writes `total` bytes of a known pattern into `peer` in chunks of random
 * size, each after the previous was accepted (the peer's own backpressure).
 * `stop()` ends it after the write in flight; writes failing (a reset) end it.
 */
export function sender(peer: Peer, total: number, seed: number, maxChunk = 65_536) {
  const input = pattern(total, seed);
  const rnd = prng(seed);
  let at = 0;
  let stopped = false;
  let failed: unknown;
  const finished = (async () => {
    while (!stopped && at < total) {
      const n = Math.min(rnd.int(1, maxChunk), total - at);
      try {
        await peer.write(input.subarray(at, at + n));
      } catch (error) {
        failed = error;
        return;
      }
      at += n;
    }
  })();
  return {
    /** Everything this sender may ever write: what arrived must be a prefix of it. */
    input,
    /** Bytes whose write was accepted, in order. */
    sent: () => input.subarray(0, at),
    get failed() {
      return failed;
    },
    stop: () => void (stopped = true),
    finished,
  };
}

/** `true` if `x` is a prefix of `whole`; fails with the first difference otherwise. */
export function expectPrefix(x: Uint8Array, whole: Uint8Array, what: string): void {
  expect(x.byteLength, `${what}: longer than what was sent`).toBeLessThanOrEqual(whole.byteLength);
  expectBytes(x, whole.subarray(0, x.byteLength), what);
}

/** Reads `readable` to EOF with one reader (released after), bounded. */
export async function drainToEnd(readable: ReadableStream<Uint8Array>, ms = T): Promise<Uint8Array> {
  const reader = readable.getReader();
  const parts: Uint8Array[] = [];
  try {
    const deadline = Date.now() + ms;
    for (;;) {
      const { value, done } = await withTimeout(reader.read(), Math.max(1, deadline - Date.now()), 'reading the source to EOF');
      if (done) break;
      parts.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  return concat(...parts);
}

/** A splice's `done` that also counts how often its reactions ran (settling twice would show as 2). */
export function watchDone(done: Promise<SpliceResult>): { readonly settled: number; readonly result: Promise<SpliceResult> } {
  const w = { settled: 0, result: done };
  void done.then(() => void w.settled++);
  return w;
}

/** Closes an adapter socket under a splice, as a proxy would (every adapter endpoint has WinterCG `close()`). */
export const closeSocket = (endpoint: SpliceEndpoint): Promise<void> =>
  (endpoint as SpliceEndpoint & { close(): Promise<void> }).close();

/** A full GC through V8 (Node, Deno): `--expose-gc` set at run time, `gc` fetched from a fresh context. */
export async function v8HeapAfterGc(): Promise<number | undefined> {
  try {
    const v8 = await import('node:v8');
    const vm = await import('node:vm');
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    return v8.getHeapStatistics().used_heap_size;
  } catch {
    return undefined;
  }
}
