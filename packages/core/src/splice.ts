/**
 * The entry points `spliceStreams` and `spliceBidirectional` and the handles
 * they return (docs/contract.md).
 */
import { publishSplice } from './diagnostics.ts';
import { SpliceRun } from './engine.ts';
import { invalidArgType, spliceBusy } from './errors.ts';
import type { Splice, SpliceEndpoint, SpliceOptions, SplicePair, SpliceResult } from './types.ts';
import { assertUnlocked, type NormalizedOptions, validateOptions, validateReadable, validateWritable } from './validate.ts';

// Every runtime we support has it; the fallback keeps older engines loading.
export const asyncDispose: typeof Symbol.asyncDispose = Symbol.asyncDispose ?? (Symbol.for('Symbol.asyncDispose') as never);

class SpliceHandle implements Splice {
  readonly #run: SpliceRun;

  constructor(run: SpliceRun) {
    this.#run = run;
  }

  get bytes(): number {
    // After the end, the result's count (an error ending leaves out chunks refused, or discarded by its own abort).
    return this.#run.result?.bytes ?? this.#run.ctl.bytes;
  }

  get done(): Promise<SpliceResult> {
    return this.#run.done;
  }

  unsplice(): Promise<SpliceResult> {
    return this.#run.unsplice();
  }

  async [asyncDispose](): Promise<void> {
    await this.#run.unsplice();
  }
}

class SplicePairHandle implements SplicePair {
  readonly aToB: Splice;
  readonly bToA: Splice;
  readonly done: Promise<[SpliceResult, SpliceResult]>;

  constructor(aToB: Splice, bToA: Splice) {
    this.aToB = aToB;
    this.bToA = bToA;
    this.done = Promise.all([aToB.done, bToA.done]);
  }

  unsplice(): Promise<[SpliceResult, SpliceResult]> {
    return Promise.all([this.aToB.unsplice(), this.bToA.unsplice()]);
  }

  async [asyncDispose](): Promise<void> {
    await this.unsplice();
  }
}

function startSplice(
  readable: ReadableStream<Uint8Array>,
  writable: WritableStream<Uint8Array>,
  options: NormalizedOptions,
  source?: SpliceEndpoint,
  drain?: SpliceEndpoint,
): Splice {
  const run = new SpliceRun(readable, writable, options);
  run.start();
  const handle = new SpliceHandle(run);
  publishSplice(handle, { readable, writable, source, drain }, run.direct ? 'direct' : 'stream', options);
  return handle;
}

/**
 * Splices `readable` into `writable`: bytes flow from one to the other
 * without passing through the application, until the source ends, `max`
 * bytes were delivered, nothing moved for `idle` ms, the splice is
 * unspliced, or a stream fails. Afterwards (except after EOF and errors)
 * both streams are unlocked and usable again.
 *
 * Throws synchronously, locking nothing, on invalid arguments
 * (`ERR_INVALID_ARG_TYPE`, `ERR_OUT_OF_RANGE`) or locked streams
 * (`ERR_SPLICE_BUSY`).
 *
 * @example
 * ```ts
 * import { spliceStreams } from '@sosplice/core';
 *
 * // Forward exactly the body, then parse what follows ourselves.
 * const splice = spliceStreams(client.readable, upstream.writable, { max: contentLength, idle: 30_000 });
 * const { reason, bytes } = await splice.done;
 * if (reason === 'max') {
 *   const reader = client.readable.getReader(); // the next request starts here
 * }
 * ```
 */
export function spliceStreams(
  readable: ReadableStream<Uint8Array>,
  writable: WritableStream<Uint8Array>,
  options?: SpliceOptions,
): Splice {
  const source = validateReadable(readable, 'readable');
  const drain = validateWritable(writable, 'writable');
  const normalized = validateOptions(options);
  assertUnlocked(source, 'readable');
  assertUnlocked(drain, 'writable');
  return startSplice(source, drain, normalized);
}

function validateEndpoint(value: unknown, name: string): { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> } {
  if (typeof value !== 'object' || value === null) throw invalidArgType(name, 'an object with readable and writable streams', value);
  const endpoint = value as SpliceEndpoint;
  return {
    readable: validateReadable(endpoint.readable, `${name}.readable`),
    writable: validateWritable(endpoint.writable, `${name}.writable`),
  };
}

/**
 * Splices two endpoints both ways: `a.readable` into `b.writable` and
 * `b.readable` into `a.writable`, each direction with its own count, `max`
 * and `idle` timer (OpenBSD semantics). EOF in one direction half-closes the
 * other side's writable while the other direction keeps flowing.
 */
export function spliceBidirectional(a: SpliceEndpoint, b: SpliceEndpoint, options?: SpliceOptions): SplicePair {
  const ea = validateEndpoint(a, 'a');
  const eb = validateEndpoint(b, 'b');
  const normalized = validateOptions(options);
  assertUnlocked(ea.readable, 'a.readable');
  assertUnlocked(eb.writable, 'b.writable');
  assertUnlocked(eb.readable, 'b.readable');
  assertUnlocked(ea.writable, 'a.writable');
  // The same stream in both directions would be spliced twice.
  if (ea.readable === eb.readable) throw spliceBusy('b.readable');
  if (ea.writable === eb.writable) throw spliceBusy('b.writable');
  const aToB = startSplice(ea.readable, eb.writable, normalized, a, b);
  const bToA = startSplice(eb.readable, ea.writable, normalized, b, a);
  return new SplicePairHandle(aToB, bToA);
}
