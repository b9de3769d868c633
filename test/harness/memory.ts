/**
 * In-memory harnesses: an endpoint is a controllable ReadableStream (the
 * peer enqueues into it) and a recording WritableStream (the peer's sink),
 * built from the runtime's own Web Streams or from web-streams-polyfill.
 * No transport stands between the streams and the peer, so chunking is exact
 * and the only buffers are the two streams' queues.
 */
import {
  ReadableStream as PolyfillReadableStream,
  WritableStream as PolyfillWritableStream,
} from 'web-streams-polyfill';
import type { SpliceEndpoint } from '@sosplice/core';
import type { Harness, HarnessFactory, Peer } from '../conformance/_harness';
import { concat } from './_util';

export interface MemoryHarnessOptions {
  /** Whose Web Streams: the runtime's globals or web-streams-polyfill. */
  impl: 'native' | 'polyfill';
  /** `endpoint.readable` is a readable byte stream (`type: 'bytes'`) or a default stream. */
  byteStream: boolean;
  /** High-water mark of both streams, in bytes. Default 4096. */
  highWaterMark?: number;
  /** High-water mark of the readable alone, if it should differ (a large one never blocks `peer.write`). */
  sourceHighWaterMark?: number;
}

type Deferred<T> = { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void };

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const byteLength = (chunk: Uint8Array): number => chunk.byteLength;

/** One endpoint and its peer. Exported for tests that need a bare pair. */
export function memoryEndpoint(options: MemoryHarnessOptions): { endpoint: SpliceEndpoint; peer: Peer } {
  const hwm = options.highWaterMark ?? 4096;
  const sourceHwm = options.sourceHighWaterMark ?? hwm;
  const RS = (options.impl === 'polyfill' ? PolyfillReadableStream : ReadableStream) as typeof ReadableStream;
  const WS = (options.impl === 'polyfill' ? PolyfillWritableStream : WritableStream) as typeof WritableStream;

  // --- source: the peer pushes, the endpoint's readable delivers ---
  let rc!: ReadableStreamDefaultController<Uint8Array> | ReadableByteStreamController;
  let sourceOpen = true;
  // peer.write() resolves once the readable has room again, as a socket
  // write completes once the kernel took the bytes: the peer feels backpressure.
  let room: Deferred<void> | undefined;
  const roomAgain = (): void => {
    const r = room;
    room = undefined;
    r?.resolve();
  };
  const aborted = deferred<unknown>();
  const cancel = (reason: unknown): void => {
    sourceOpen = false;
    roomAgain();
    aborted.resolve(reason);
  };
  const start = (c: typeof rc): void => void (rc = c);
  const readable = options.byteStream
    ? new RS({ type: 'bytes', start, pull: roomAgain, cancel } as UnderlyingByteSource, { highWaterMark: sourceHwm })
    : new RS<Uint8Array>({ start, pull: roomAgain, cancel }, { highWaterMark: sourceHwm, size: byteLength });

  // --- drain: the endpoint's writable records, the peer reads the record ---
  let wc!: WritableStreamDefaultController;
  const parts: Uint8Array[] = [];
  let receivedBytes = 0;
  let waiters: Array<{ n: number; resolve: () => void }> = [];
  let stalled: Deferred<void> | undefined;
  let failure: { error: unknown } | undefined;
  const ended = deferred<void>();
  const writable = new WS<Uint8Array>(
    {
      start: (c) => void (wc = c),
      async write(chunk) {
        // A stalled peer: the sink holds this write until resume() (or reset()).
        for (let spins = 0; stalled !== undefined; spins++) {
          if (spins > 1_000_000) throw new Error('memory harness: stall loop did not settle');
          await stalled.promise;
        }
        if (failure) throw failure.error;
        parts.push(chunk.slice());
        receivedBytes += chunk.byteLength;
        const ready = waiters.filter((w) => w.n <= receivedBytes);
        waiters = waiters.filter((w) => w.n > receivedBytes);
        for (const w of ready) w.resolve();
      },
      close: () => ended.resolve(),
      abort: (reason) => aborted.resolve(reason),
    },
    { highWaterMark: hwm, size: byteLength },
  );

  const peer: Peer = {
    async write(bytes) {
      if (!sourceOpen) throw new Error('memory harness: write after end, reset or cancel');
      // Byte streams reject empty chunks; an empty write is a no-op anyway.
      if (bytes.byteLength > 0) rc.enqueue(bytes.slice());
      if (sourceOpen && (rc.desiredSize ?? 1) <= 0) {
        room ??= deferred<void>();
        await room.promise;
      }
    },
    async end() {
      if (!sourceOpen) return;
      sourceOpen = false;
      roomAgain();
      rc.close();
      // A BYOB read pending at close settles only through the byobRequest (docs/runtimes.md#web-streams-everywhere).
      if (options.byteStream) (rc as ReadableByteStreamController).byobRequest?.respond(0);
    },
    async reset() {
      const error = new Error('memory harness: peer reset');
      sourceOpen = false;
      roomAgain();
      failure = { error };
      rc.error(error);
      wc.error(error);
      // A write held by a stall fails too, as a socket's pending write would.
      const gate = stalled;
      stalled = undefined;
      gate?.reject(error);
      return (e: unknown) => e === error;
    },
    received: () => concat(...parts),
    receivedAtLeast(n) {
      if (receivedBytes >= n) return Promise.resolve();
      const d = deferred<void>();
      waiters.push({ n, resolve: d.resolve });
      return d.promise;
    },
    ended: () => ended.promise,
    aborted: () => aborted.promise,
    stall() {
      stalled ??= deferred<void>();
      // A stall gate rejected by reset() must not count as unhandled.
      stalled.promise.catch(() => {});
    },
    resume() {
      const gate = stalled;
      stalled = undefined;
      gate?.resolve();
    },
  };
  return { endpoint: { readable, writable }, peer };
}

/** A harness over in-memory endpoints (see the module comment). */
export function memoryHarness(options: MemoryHarnessOptions): HarnessFactory {
  return async (): Promise<Harness> => ({
    name: `memory:${options.impl}:${options.byteStream ? 'bytes' : 'default'}`,
    features: { byteStream: options.byteStream, exactChunks: true, direct: false, socket: false },
    // The sink records a chunk only once a stalled write is let through, so
    // the writable's queue (in bytes) is everything between it and the peer.
    bufferLimit: Math.max(options.highWaterMark ?? 4096, options.sourceHighWaterMark ?? 0),
    endpoint: async () => memoryEndpoint(options),
    dispose: async () => {},
  });
}
