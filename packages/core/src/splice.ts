/**
 * The entry points `spliceStreams` and `spliceBidirectional` and the handles
 * they return (SPEC.md sections 2 and 3).
 */
import { SpliceRun } from './engine.js';
import { invalidArgType, spliceBusy } from './errors.js';
import { linkRuns } from './linked.js';
import type { Splice, SpliceEndpoint, SpliceOptions, SplicePair, SpliceResult } from './types.js';
import { assertUnlocked, type NormalizedOptions, validateOptions, validateReadable, validateWritable } from './validate.js';

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

function startSplice(readable: ReadableStream<Uint8Array>, writable: WritableStream<Uint8Array>, options: NormalizedOptions): Splice {
  const run = new SpliceRun(readable, writable, options);
  run.start();
  return new SpliceHandle(run);
}

/** Both directions of a pair; with `linked`, tied together before either starts (./linked.ts). */
function startPair(a: SpliceEndpoint, b: SpliceEndpoint, options: NormalizedOptions): SplicePair {
  if (!options.linked) return new SplicePairHandle(startSplice(a.readable, b.writable, options), startSplice(b.readable, a.writable, options));
  const aToB = new SpliceRun(a.readable, b.writable, options);
  const bToA = new SpliceRun(b.readable, a.writable, options);
  const link = linkRuns(aToB, bToA);
  aToB.start();
  bToA.start();
  link.started();
  return new SplicePairHandle(new SpliceHandle(aToB), new SpliceHandle(bToA));
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
 *
 * With `linked: true` the pair is one connection (SPEC 5.1): the first
 * ending other than EOF (`max`, `idle`, `unsplice`, an error) ends the other
 * direction at once with `'unsplice'`, and `idle` means that neither
 * direction moved (both then end with `'idle'`).
 *
 * @example
 * ```ts
 * const pair = spliceBidirectional(client, upstream, { linked: true, idle: 60_000 });
 * const [up, down] = await pair.done;
 * await Promise.all([client.close(), upstream.close()]);
 * ```
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
  return startPair(ea, eb, normalized);
}
