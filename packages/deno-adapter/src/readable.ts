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
        const pulling = pull(state, controller, chunkSize);
        state.pulling = pulling;
        void pulling.then(() => {
          if (state.pulling === pulling) state.pulling = undefined;
        });
        return pulling;
      },
      cancel(reason) {
        // SPEC 6: `readable.cancel()` destroys the socket.
        state.abort(reason);
      },
    },
    { highWaterMark: 0 },
  ) as ReadableStream<Uint8Array>;
}

async function pull(state: ConnState, controller: ReadableByteStreamController, chunkSize: number): Promise<void> {
  // A direct run that was unspliced may still have a read in flight: its
  // bytes land in the buffer and must be read first.
  if (state.reading) await state.readSettled();
  if (state.destroyed) return; // the stream was closed or errored with the conn
  const request = controller.byobRequest;
  const view: Uint8Array<ArrayBuffer> = request === null ? new Uint8Array(chunkSize) : asBytes(request.view!);
  if (state.buffered > 0) {
    const n = state.takeInto(view);
    if (request === null) controller.enqueue(view.subarray(0, n));
    else request.respond(n);
    return;
  }
  if (!state.eof) {
    let n: number | null;
    try {
      n = (await state.read(view)) as number | null;
    } catch {
      return; // state.fail() errored the stream with the runtime's error
    }
    if (state.destroyed) return;
    if (n !== null) {
      if (request === null) controller.enqueue(view.subarray(0, n));
      else request.respond(n);
      return;
    }
  }
  // EOF: close the stream; a pending BYOB read settles only through respond(0).
  controller.close();
  controller.byobRequest?.respond(0);
  state.readFinished();
}

function asBytes(view: ArrayBufferView): Uint8Array<ArrayBuffer> {
  return new Uint8Array(view.buffer as ArrayBuffer, view.byteOffset, view.byteLength);
}
