/**
 * The frame every reliability section runs in: one harness per describe,
 * splices unspliced after each test, the harness disposed after the file.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { spliceBidirectional, spliceStreams } from '@sosplice/core';
import type { Splice, SpliceEndpoint, SpliceOptions, SplicePair } from '@sosplice/core';
import type { Harness, HarnessFactory, Peer } from '../conformance/_harness';
import { withTimeout } from '../harness/_util';
import { T, type RuntimeHooks } from './_common';

export interface Section {
  readonly harness: Harness;
  readonly hooks: RuntimeHooks | undefined;
  readonly factory: HarnessFactory;
  /** The harness's name, for the report (`node:tcp:direct`). */
  path(): string;
  side(): Promise<{ endpoint: SpliceEndpoint; peer: Peer }>;
  splice(readable: ReadableStream<Uint8Array>, writable: WritableStream<Uint8Array>, options?: SpliceOptions): Splice;
  pair(a: SpliceEndpoint, b: SpliceEndpoint, options?: SpliceOptions): SplicePair;
}

/** Call inside a `describe`: sets up the harness and the per-test cleanup. */
export function section(factory: HarnessFactory, hooks?: RuntimeHooks): Section {
  let harness: Harness | undefined;
  let live: Array<{ unsplice(): Promise<unknown> }> = [];
  beforeAll(async () => {
    harness = await factory();
  });
  afterEach(async () => {
    const all = live;
    live = [];
    await Promise.allSettled(all.map((s) => withTimeout(s.unsplice(), T, 'unsplice() in cleanup')));
  });
  afterAll(async () => {
    await harness?.dispose();
  });
  return {
    get harness() {
      if (harness === undefined) throw new Error('reliability: harness not ready (beforeAll failed?)');
      return harness;
    },
    hooks,
    factory,
    path: () => harness?.name ?? 'unknown',
    side: () => withTimeout(harness!.endpoint(), T, 'harness.endpoint()'),
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
  };
}
