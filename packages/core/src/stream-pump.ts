/**
 * The stream path: moves chunks from the run's readable to its writable
 * through a reader and a writer, with the flow rules of docs/contract.md#flow-and-memory.
 *
 * Why a hand-written loop and not `pipeTo` (or a `SpliceTransform` in a
 * `pipeThrough` chain): `pipeTo` cannot stop at an exact byte count, cannot
 * give back the part of a chunk past `max`, and cannot be stopped without
 * possibly reading one more chunk it then owns. Here every read is sized to
 * the remaining budget (BYOB on byte streams), an unsplice releases the
 * reader so a read in flight leaves its data in the source, and the loop
 * never awaits a write: like `pipeTo` it only waits for `writer.ready`, so
 * writes overlap reads. Measured against `pipeTo` in `bench/`.
 */
import { now } from './idle-clock.ts';
import { drainClosed, invalidArgType } from './errors.ts';
import { WriteLedger } from './write-ledger.ts';
import type { SpliceController, StopReason } from './controller.ts';
import { datagramMark } from './datagram.ts';

/** Size of a BYOB read when the budget allows (the usual socket chunk). */
const BYOB_CHUNK = 64 * 1024;
/** Longest stretch of microtask-only progress before yielding to the event loop (docs/contract.md#flow-and-memory: no starvation). */
const YIELD_AFTER_MS = 8;

const noop = (): void => {};

type Pending = 'none' | 'read' | 'ready' | 'yield';

/** What the pump needs of its splice (./engine.ts's `SpliceRun`), declared here so the two files do not import each other. */
export interface PumpedRun {
  readonly ctl: SpliceController;
  /** The ending is decided: stop moving bytes. */
  readonly ended: boolean;
  reader: ReadableStreamDefaultReader<Uint8Array> | ReadableStreamBYOBReader | undefined;
  writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  releaseReader(): void;
  releaseWriter(): void;
  endWithStop(reason: StopReason, remainder?: Uint8Array): void;
  endWithEof(): void;
  endWithError(side: 'source' | 'drain', error: unknown, remainder?: Uint8Array): void;
}

/** What the engine asks of a running stream path. */
export interface StreamPath {
  /** A stop (max, idle, unsplice) was requested: interrupt what would wait indefinitely. */
  interrupt(): void;
  /**
   * The bytes an error ending counts (issue 16): handed to the writable and
   * kept there, or, when the splice aborts it (`aborting`), those that
   * reached its sink.
   */
  delivered(aborting: boolean): number;
}

/** Runs the stream path of `run` from `readable` into `writable` until it ends; never throws. */
export function pumpStreams(run: PumpedRun, readable: ReadableStream<Uint8Array>, writable: WritableStream<Uint8Array>): StreamPath {
  const { ctl } = run;
  // docs/datagrams.md: a stream of datagrams is read whole, one chunk per datagram.
  const datagrams = datagramMark(readable) !== undefined;
  let byob: ReadableStreamBYOBReader | undefined;
  if (ctl.max !== 0 && !datagrams) {
    try {
      byob = readable.getReader({ mode: 'byob' });
    } catch {
      // Not a byte stream: chunks straddling max are cut and the tail returned (docs/contract.md#max).
    }
  }
  const reader = byob ?? readable.getReader();
  const writer = writable.getWriter();
  run.reader = reader;
  run.writer = writer;

  let pending: Pending = 'none';
  let wake: (() => void) | undefined;
  /** A stream's error, once seen; the loop ends the splice with it. */
  let drainFailure: { error: unknown } | undefined;
  let sourceFailure: { error: unknown } | undefined;
  const ledger = new WriteLedger(
    writer,
    () => run.writer === writer,
    // The ending error is ours, the same on every implementation.
    (error) => onDrainFailure(drainClosed(error)),
  );

  // Errors must be propagated both ways even while the loop waits on the
  // other stream. A settlement after we released a lock ourselves is not a
  // stream event.
  reader.closed.then(
    () => {
      // Closing must be propagated forward even to a drain that never
      // desires chunks (highWaterMark 0): EOF while waiting for room.
      if (run.reader === reader && pending === 'ready') run.endWithEof();
    },
    (error: unknown) => {
      if (run.reader !== reader) return;
      // Source errors: a loop waiting for room stops waiting. Otherwise the
      // loop ends the splice, after handing over a chunk a read had already
      // taken (as pipeTo does); a pending read rejects by itself.
      if (pending === 'ready') return run.endWithError('source', error);
      sourceFailure = { error };
      if (pending === 'yield') wake?.();
    },
  );
  const onDrainFailure = (error: unknown): void => {
    if (run.writer !== writer || run.ended) return;
    // Drain errors: only the loop ends the splice, so that a chunk a read
    // already took is never dropped (it becomes `remainder` when the source
    // lives on). Interrupt whatever the loop waits on.
    drainFailure ??= { error };
    if (pending === 'read') run.releaseReader();
    else if (pending === 'yield') wake?.();
    else if (pending === 'ready') run.endWithError('drain', drainFailure.error, ledger.undelivered(undefined));
  };
  // A drain that closes under us (closed before the splice, or closing and
  // now done) must end the splice: closing is propagated backward, as pipeTo.
  writer.closed.then(() => onDrainFailure(drainClosed()), onDrainFailure);


  let spare: ArrayBuffer | undefined;
  const nextView = (): Uint8Array<ArrayBuffer> => {
    const size = Math.min(ctl.remaining, BYOB_CHUNK);
    if (spare !== undefined && spare.byteLength >= size) {
      const view = new Uint8Array(spare, 0, size);
      spare = undefined;
      return view;
    }
    return new Uint8Array(size);
  };

  /** Hands one chunk to the writable; returns the tail past `max`, if any. */
  const deliver = (chunk: Uint8Array): Uint8Array | undefined => {
    let tail: Uint8Array | undefined;
    const remaining = ctl.remaining;
    if (chunk.byteLength > remaining) {
      // docs/datagrams.md: a datagram is never split; the one that does not fit ends the splice and stays first.
      if (datagrams) {
        ctl.stop('max');
        return chunk;
      }
      tail = chunk.subarray(remaining);
      chunk = chunk.subarray(0, remaining);
    }
    const n = chunk.byteLength;
    // A 0-byte datagram is a datagram; a 0-byte chunk of a byte stream is nothing.
    if (n === 0 && !datagrams) return tail;
    // Refused at once: nothing to count; the loop ends the splice.
    if (ledger.write(chunk)) ctl.count(n);
    return tail;
  };

  const loop = async (): Promise<void> => {
    let lastYield = now();
    let iterations = 0;
    for (;;) {
      if (drainFailure !== undefined) return run.endWithError('drain', drainFailure.error, ledger.undelivered(undefined));
      if (sourceFailure !== undefined) return run.endWithError('source', sourceFailure.error);
      const stop = ctl.stopReason;
      if (stop !== undefined) return run.endWithStop(stop);
      const room = writer.desiredSize;
      if (room === null || room <= 0) {
        pending = 'ready';
        await writer.ready;
        pending = 'none';
        if (run.ended) return;
        // Ready yet still no room: the drain is closed or closing (a closed
        // writable's desiredSize stays 0 with `ready` fulfilled). Waiting
        // again would spin in microtasks forever (issue 16).
        const after = writer.desiredSize;
        if (after !== null && after <= 0) drainFailure ??= { error: drainClosed() };
        continue;
      }
      pending = 'read';
      const result = byob !== undefined ? await byob.read(nextView()) : await (reader as ReadableStreamDefaultReader<Uint8Array>).read();
      pending = 'none';
      if (run.ended) return;
      if (drainFailure === undefined && writer.desiredSize === null && !result.done) {
        // The drain failed and its closed handler has not run yet: learn the error.
        drainFailure = { error: await writer.closed.then(() => drainClosed(), (error: unknown) => error) };
      }
      if (drainFailure !== undefined) return run.endWithError('drain', drainFailure.error, ledger.undelivered(result.done ? undefined : toBytes(result.value)));
      if (result.done) {
        const stopped = ctl.stopReason;
        return stopped !== undefined ? run.endWithStop(stopped) : run.endWithEof();
      }
      let chunk: unknown = result.value;
      if (byob !== undefined) {
        const view = chunk as Uint8Array;
        // A short read into a big buffer: copy it out and reuse the buffer,
        // so the writable's queue never pins 64 KiB per small chunk.
        if (view.byteLength * 4 <= view.buffer.byteLength) {
          chunk = view.slice();
          spare = view.buffer as ArrayBuffer;
        }
      } else if (!(chunk instanceof Uint8Array)) {
        if (!ArrayBuffer.isView(chunk)) {
          const error = invalidArgType('chunk', 'a Uint8Array (spliced streams carry bytes)', chunk);
          reader.cancel(error).catch(noop);
          return run.endWithError('source', error);
        }
        chunk = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      }
      const tail = deliver(chunk as Uint8Array);
      // Before ending at max: a closing drain refuses a write one reaction
      // later, and a refused last chunk must not be reported as delivered.
      if (ctl.stopReason !== undefined) await undefined;
      // A refusal sets drainFailure from a callback, which TypeScript cannot
      // see: the tail past max goes back after the refused chunk.
      const refusal = drainFailure as { error: unknown } | undefined;
      if (refusal !== undefined) return run.endWithError('drain', refusal.error, ledger.undelivered(tail));
      const stopped = ctl.stopReason;
      if (stopped !== undefined) return run.endWithStop(stopped, tail);
      if ((++iterations & 31) === 0 && now() - lastYield > YIELD_AFTER_MS) {
        pending = 'yield';
        await yieldToEventLoop((resolve) => (wake = resolve));
        pending = 'none';
        wake = undefined;
        lastYield = now();
      }
    }
  };

  loop().catch((error: unknown) => {
    if (run.ended) return;
    if (drainFailure !== undefined) return run.endWithError('drain', drainFailure.error, ledger.undelivered(undefined));
    // A stop released the lock under a pending read or ready: not an error.
    const stop = ctl.stopReason;
    if (stop !== undefined) return run.endWithStop(stop);
    // A rejected ready is the drain's error; a rejected read the source's.
    run.endWithError(pending === 'ready' ? 'drain' : 'source', error);
  });

  return {
    // A stop (unsplice, idle) interrupts only what would wait indefinitely; a
    // chunk already taken is still delivered by the loop before it ends.
    interrupt() {
      if (pending === 'read') run.releaseReader();
      else if (pending === 'ready') run.releaseWriter();
      else if (pending === 'yield') wake?.();
    },
    // docs/datagrams.md: a datagram drain that fails (EMSGSIZE) counts only the datagrams its sink sent.
    delivered: (aborting) => (datagrams && drainFailure !== undefined ? ledger.accepted : ledger.delivered(ctl.bytes, aborting)),
  };
}

// setImmediate (Node, Bun, Deno) runs after I/O without setTimeout's 1 ms floor.
const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
const schedule: (callback: () => void) => void = immediate !== undefined ? (callback) => void immediate(callback) : (callback) => void setTimeout(callback, 0);

function toBytes(chunk: unknown): Uint8Array | undefined {
  if (chunk instanceof Uint8Array) return chunk;
  return ArrayBuffer.isView(chunk) ? new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength) : undefined;
}

/** Resolves after one turn of the event loop (timers and I/O get to run), or when woken early. */
function yieldToEventLoop(register: (wake: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    register(resolve);
    schedule(resolve);
  });
}
