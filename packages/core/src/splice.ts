/**
 * The entry points `spliceStreams` and `spliceBidirectional` and the handles
 * they return (docs/contract.md).
 */
import { publishSplice } from './diagnostics.ts';
import { SpliceRun } from './engine.ts';
import { matchDirectEndpoints, type DirectDrainLease, type DirectSourceLease, type DirectSpliceEndpoint } from './direct.ts';
import { invalidArgType, spliceBusy } from './errors.ts';
import type { Splice, SpliceEndpoint, SpliceOptions, SplicePair, SpliceResult } from './types.ts';
import { assertUnlocked, type NormalizedOptions, validateOptions, validateReadable, validateWritable } from './validate.ts';
import { linkRuns } from './linked.ts';

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
  readonly #runs: readonly [SpliceRun, SpliceRun];
  #done: Promise<[SpliceResult, SpliceResult]> | undefined;

  constructor(aToB: Splice, bToA: Splice, runs: readonly [SpliceRun, SpliceRun]) {
    this.aToB = aToB;
    this.bToA = bToA;
    this.#runs = runs;
  }

  // Made when asked (a proxy holding thousands of pairs may never await it),
  // as one promise that both runs settle, not two and a Promise.all.
  get done(): Promise<[SpliceResult, SpliceResult]> {
    if (this.#done !== undefined) return this.#done;
    const [x, y] = this.#runs;
    const both = (): [SpliceResult, SpliceResult] | undefined => (x.result !== undefined && y.result !== undefined ? [x.result, y.result] : undefined);
    const results = both();
    if (results !== undefined) return (this.#done = Promise.resolve(results));
    return (this.#done = new Promise((resolve) => {
      const settled = (): void => {
        const results = both();
        if (results !== undefined) resolve(results);
      };
      x.onSettled = settled;
      y.onSettled = settled;
    }));
  }

  unsplice(): Promise<[SpliceResult, SpliceResult]> {
    return Promise.all([this.aToB.unsplice(), this.bToA.unsplice()]);
  }

  async [asyncDispose](): Promise<void> {
    await this.unsplice();
  }
}

/** The handle of a run, announced on the diagnostics channels (./diagnostics.ts). */
function handleOf(run: SpliceRun, options: NormalizedOptions, source?: SpliceEndpoint, drain?: SpliceEndpoint): Splice {
  const handle = new SpliceHandle(run);
  publishSplice(handle, { readable: run.readable, writable: run.writable, source, drain }, run.direct ? 'direct' : 'stream', options);
  return handle;
}

type Ends = ConstructorParameters<typeof SpliceRun>[0];

/**
 * Both directions of a pair; with `linked`, tied together before either
 * starts (./linked.ts).
 */
function startPair(a: SpliceEndpoint, b: SpliceEndpoint, aToBEnds: Ends, bToAEnds: Ends, options: NormalizedOptions): SplicePair {
  const aToB = new SpliceRun(aToBEnds, options);
  const bToA = new SpliceRun(bToAEnds, options);
  const link = options.linked ? linkRuns(aToB, bToA) : undefined;
  aToB.start();
  bToA.start();
  link?.started();
  return new SplicePairHandle(handleOf(aToB, options, a, b), handleOf(bToA, options, b, a), [aToB, bToA]);
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
  const run = new SpliceRun({ readable: source, writable: drain }, normalized);
  run.start();
  return handleOf(run, normalized);
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
 * With `linked: true` the pair is one connection (docs/contract.md#linked-pairs): the first
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
  if (typeof a !== 'object' || a === null) throw invalidArgType('a', 'an object with readable and writable streams', a);
  if (typeof b !== 'object' || b === null) throw invalidArgType('b', 'an object with readable and writable streams', b);
  // SPEC 6.2: two endpoints of one provider are spliced through leases, without their streams.
  const marks = matchDirectEndpoints(a, b);
  if (marks !== undefined) {
    const normalized = validateOptions(options);
    const [aSource, bDrain, bSource, aDrain] = takeLeases(marks.a, marks.b);
    return startPair(
      a,
      b,
      { source: a, drain: b, sourceMark: marks.a, drainMark: marks.b, sourceLease: aSource, drainLease: bDrain },
      { source: b, drain: a, sourceMark: marks.b, drainMark: marks.a, sourceLease: bSource, drainLease: aDrain },
      normalized,
    );
  }
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
  return startPair(a, b, { readable: ea.readable, writable: eb.writable }, { readable: eb.readable, writable: ea.writable }, normalized);
}

/**
 * The four sides of a pair, in the order the stream path checks them; a
 * side taken already throws `ERR_SPLICE_BUSY` naming it, after giving back
 * the leases taken before it (no partial lock: docs/contract.md#starting-a-splice).
 */
function takeLeases(a: DirectSpliceEndpoint, b: DirectSpliceEndpoint): [DirectSourceLease, DirectDrainLease, DirectSourceLease, DirectDrainLease] {
  const taken: Array<DirectSourceLease | DirectDrainLease> = [];
  const take = <L extends DirectSourceLease | DirectDrainLease>(lease: L | undefined, name: string): L => {
    if (lease === undefined) {
      for (const held of taken) held.release();
      throw spliceBusy(name);
    }
    taken.push(lease);
    return lease;
  };
  return [
    take(a.leaseSource(), 'a.readable'),
    take(b.leaseDrain(), 'b.writable'),
    take(b.leaseSource(), 'b.readable'),
    take(a.leaseDrain(), 'a.writable'),
  ];
}
