/**
 * The stream path: moves chunks from the run's readable to its writable
 * through a reader and a writer, with the flow rules of SPEC.md 4.1.
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
import type { SpliceRun } from './engine.js';
import { now } from './idle-clock.js';
import { drainClosed, invalidArgType } from './errors.js';
import type { StopReason } from './controller.js';

/** Size of a BYOB read when the budget allows (the usual socket chunk). */
const BYOB_CHUNK = 64 * 1024;
/** Longest stretch of microtask-only progress before yielding to the event loop (SPEC 4.1: no starvation). */
const YIELD_AFTER_MS = 8;

const noop = (): void => {};

type Pending = 'none' | 'read' | 'ready' | 'yield';

/** Runs the stream path of `run` until it ends; never throws. */
export function pumpStreams(run: SpliceRun): void {
  const { readable, writable, ctl } = run;
  let byob: ReadableStreamBYOBReader | undefined;
  if (ctl.max !== 0) {
    try {
      byob = readable.getReader({ mode: 'byob' });
    } catch {
      // Not a byte stream: chunks straddling max are cut and the tail returned (SPEC 4.3).
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
  /** Chunks a closing drain refused: undelivered, so they go back as `remainder`. */
  let refused: Uint8Array[] | undefined;
  // Writes settle in order, so the chunks whose writes have not settled are
  // a FIFO: unsettled[head] is the one the sink is writing now.
  const unsettled: (Uint8Array | undefined)[] = [];
  let head = 0;
  let accepted = 0;
  const settleOldest = (): Uint8Array => {
    const chunk = unsettled[head]!;
    unsettled[head++] = undefined;
    if (head === unsettled.length) unsettled.length = head = 0;
    else if (head >= 1024 && head * 2 >= unsettled.length) {
      // Writes always outstanding: drop the settled prefix now and then.
      unsettled.splice(0, head);
      head = 0;
    }
    return chunk;
  };
  const onWritten = (): void => void (accepted += settleOldest().byteLength);
  /** Bytes counted when handed over, then refused: they come back in `remainder`. */
  let refusedBytes = 0;
  /** The drain refused `chunk` (it is closing): the chunk goes back, the splice ends. */
  const refuse = (chunk: Uint8Array, error: unknown): void => {
    (refused ??= []).push(chunk);
    // The ending error is ours, the same on every implementation.
    onDrainFailure(drainClosed(error));
  };
  const onWriteFailed = (error: unknown): void => {
    const chunk = settleOldest();
    // A write refused while the drain is not errored (desiredSize is a
    // number): it was closing, and the chunk never entered its queue.
    // Otherwise the drain failed: that surfaces through writer.closed.
    if (run.writer === writer && writer.desiredSize !== null) {
      refusedBytes += chunk.byteLength;
      refuse(chunk, error);
    }
  };
  /**
   * What an error ending counts (issue 16): never a chunk that did not
   * reach the writable for good. A chunk the drain refused comes back as
   * `remainder` instead. When the splice aborts the drain, only what the
   * sink accepted counts, plus the chunk it is writing now, which an abort
   * lets finish: the chunks queued behind it are discarded.
   */
  run.deliveredBytes = (aborting) => (aborting ? accepted + (unsettled[head]?.byteLength ?? 0) : ctl.bytes - refusedBytes);

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
    else if (pending === 'ready') run.endWithError('drain', drainFailure.error, undeliveredTail(undefined));
  };
  // A drain that closes under us (closed before the splice, or closing and
  // now done) must end the splice: closing is propagated backward, as pipeTo.
  writer.closed.then(() => onDrainFailure(drainClosed()), onDrainFailure);

  // A stop (unsplice, idle) interrupts only what would wait indefinitely; a
  // chunk already taken is still delivered by the loop before it ends.
  run.interrupt = (_reason: StopReason) => {
    if (pending === 'read') run.releaseReader();
    else if (pending === 'ready') run.releaseWriter();
    else if (pending === 'yield') wake?.();
  };

  /** The chunks a closing drain refused, then `taken`, as one remainder. */
  const undeliveredTail = (taken: Uint8Array | undefined): Uint8Array | undefined => {
    if (refused === undefined) return taken;
    return concatBytes(taken === undefined ? refused : [...refused, taken]);
  };

  let spare: ArrayBuffer | undefined;
  const nextView = (): Uint8Array => {
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
      tail = chunk.subarray(remaining);
      chunk = chunk.subarray(0, remaining);
    }
    const n = chunk.byteLength;
    if (n === 0) return tail;
    let written: Promise<void>;
    try {
      written = writer.write(chunk);
    } catch (error) {
      // Node throws (ERR_INTERNAL_ASSERTION) instead of rejecting when the
      // writable's close is in flight: a refusal like the others.
      refuse(tail === undefined ? chunk : concatBytes([chunk, tail]), error);
      return undefined;
    }
    unsettled.push(chunk);
    written.then(onWritten, onWriteFailed);
    ctl.count(n);
    return tail;
  };

  const loop = async (): Promise<void> => {
    let lastYield = now();
    let iterations = 0;
    for (;;) {
      if (drainFailure !== undefined) return run.endWithError('drain', drainFailure.error, undeliveredTail(undefined));
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
      if (drainFailure !== undefined) return run.endWithError('drain', drainFailure.error, undeliveredTail(result.done ? undefined : toBytes(result.value)));
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
    if (drainFailure !== undefined) return run.endWithError('drain', drainFailure.error, undeliveredTail(undefined));
    // A stop released the lock under a pending read or ready: not an error.
    const stop = ctl.stopReason;
    if (stop !== undefined) return run.endWithStop(stop);
    // A rejected ready is the drain's error; a rejected read the source's.
    run.endWithError(pending === 'ready' ? 'drain' : 'source', error);
  });
}

// setImmediate (Node, Bun, Deno) runs after I/O without setTimeout's 1 ms floor.
const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
const schedule: (callback: () => void) => void = immediate !== undefined ? (callback) => void immediate(callback) : (callback) => void setTimeout(callback, 0);

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

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
