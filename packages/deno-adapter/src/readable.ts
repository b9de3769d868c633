/**
 * The readable side of an adapted conn: a readable byte stream fed by
 * `conn.read()`.
 *
 * - `highWaterMark: 0`: nothing is read from the kernel unless a reader asks,
 *   so a slow consumer leaves the data in the kernel (real backpressure,
 *   SPEC 6).
 * - Reads go straight into the reader's view (`byobRequest.view`) and never
 *   ask for more than it holds: a BYOB read of `remaining` bytes is how the
 *   core keeps `max` exact (SPEC 4.3).
 * - `conn.read()` returning `null` closes the stream, not the conn: the write
 *   side stays usable (the half-close of SPEC 6; Deno's own `conn.readable`
 *   closes the whole conn here, denoland/deno#22258).
 */
import type { ConnState } from './_conn.js';

/** Creates the readable byte stream of `state`'s conn. */
export function createReadable(state: ConnState, chunkSize: number): ReadableStream<Uint8Array> {
  return new ReadableStream(
    {
      type: 'bytes',
      autoAllocateChunkSize: chunkSize,
      start(controller) {
        state.readableController = controller;
      },
      pull(controller) {
        return pull(state, controller, chunkSize);
      },
      cancel(reason) {
        // SPEC 6: `readable.cancel()` destroys the socket.
        state.abort(reason);
      },
    },
    { highWaterMark: 0 },
  ) as ReadableStream<Uint8Array>;
}

function pull(state: ConnState, controller: ReadableByteStreamController, chunkSize: number): Promise<void> | undefined {
  // A direct run that was unspliced may still have a read in flight: its
  // bytes land in the buffer and must be read first.
  if (state.reading) {
    const waiting = state.readSettled().then(() => {
      state.pulling = undefined;
      return pull(state, controller, chunkSize);
    });
    state.pulling = waiting;
    return waiting;
  }
  if (state.destroyed) return undefined; // the stream was closed or errored with the conn
  const request = controller.byobRequest;
  const view: Uint8Array<ArrayBuffer> = request === null ? new Uint8Array(chunkSize) : asBytes(request.view!);
  if (state.buffered > 0) {
    const n = state.takeInto(view);
    if (request === null) controller.enqueue(view.subarray(0, n));
    else request.respond(n);
    return undefined;
  }
  if (state.eof) return void closeAtEof(state, controller);
  // The hot path: one conn.read() straight into the reader's view.
  const pulling = state.read(view).then(
    (n) => {
      state.pulling = undefined;
      if (state.destroyed) return;
      if (n === null) return closeAtEof(state, controller);
      if (request === null) controller.enqueue(view.subarray(0, n as number));
      else request.respond(n as number);
    },
    () => {
      // state.fail() errored the stream with the runtime's error.
      state.pulling = undefined;
    },
  );
  state.pulling = pulling;
  return pulling;
}

function closeAtEof(state: ConnState, controller: ReadableByteStreamController): void {
  // A pending BYOB read settles only through respond(0) (RUNTIMES.md, Web Streams).
  controller.close();
  controller.byobRequest?.respond(0);
  state.readFinished();
}

function asBytes(view: ArrayBufferView): Uint8Array<ArrayBuffer> {
  return new Uint8Array(view.buffer as ArrayBuffer, view.byteOffset, view.byteLength);
}
