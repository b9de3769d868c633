/**
 * The readable side of an adapted conn: a readable byte stream fed by
 * `conn.read()`.
 *
 * - `highWaterMark: 0`: nothing is read from the kernel unless a reader asks,
 *   so a slow consumer leaves the data in the kernel (real backpressure,
 *   SPEC 6).
 * - A BYOB read goes straight into the reader's view and never asks for more
 *   than it holds: a BYOB read of `remaining` bytes is how the core keeps
 *   `max` exact (SPEC 4.3).
 * - A default read gets a buffer sized to the traffic (see `ReadSizer`):
 *   per-chunk costs of Web Streams dominate a bulk transfer, so a busy conn
 *   reads up to 4x `readSize` at once, while a quiet one keeps small buffers.
 *   The stream's `autoAllocateChunkSize` is 1 on purpose: a default read
 *   still gets a pull-into descriptor (the spec serves a default read that
 *   waits behind a released BYOB read only through one; without it such a
 *   read hangs), but a 1-byte one, so nothing big is allocated; the adapter
 *   `enqueue()`s its own chunk, which fulfils that read. A BYOB read of
 *   exactly 1 byte takes this path too: it gets its byte, and the rest of the
 *   chunk stays queued in the source, read next.
 * - `conn.read()` returning `null` closes the stream, not the conn: the write
 *   side stays usable (the half-close of SPEC 6; Deno's own `conn.readable`
 *   closes the whole conn here, denoland/deno#22258).
 */
import type { ConnState } from './_conn.js';

/**
 * Buffer sizes for default reads: doubles (up to 4x `readSize`) while reads
 * fill their buffer, halves (down to `readSize / 4`) when a read uses a
 * quarter or less. A short read is copied out and its buffer reused, so a
 * few bytes never pin a large buffer in the drain's queue.
 */
class ReadSizer {
  #size: number;
  readonly #min: number;
  readonly #max: number;
  #spare: Uint8Array<ArrayBuffer> | undefined;

  constructor(readSize: number) {
    this.#size = readSize;
    this.#min = Math.max(1, readSize >> 2);
    this.#max = readSize * 4;
  }

  buffer(): Uint8Array<ArrayBuffer> {
    const spare = this.#spare;
    this.#spare = undefined;
    return spare !== undefined && spare.byteLength === this.#size ? spare : new Uint8Array(this.#size);
  }

  /** The chunk to enqueue for `n` bytes read into `view`; adapts the next size. */
  chunk(view: Uint8Array<ArrayBuffer>, n: number): Uint8Array<ArrayBuffer> {
    if (n === view.byteLength) {
      this.#size = Math.min(this.#max, this.#size * 2);
      return view;
    }
    if (n * 4 > view.byteLength) return view.subarray(0, n);
    this.#size = Math.max(this.#min, this.#size >> 1);
    this.#spare = view;
    return view.slice(0, n);
  }
}

/** `autoAllocateChunkSize`: marks a default read (see the module comment). */
const DEFAULT_READ_MARK = 1;

/** Creates the readable byte stream of `state`'s conn. */
export function createReadable(state: ConnState, readSize: number): ReadableStream<Uint8Array> {
  const sizer = new ReadSizer(readSize);
  return new ReadableStream(
    {
      type: 'bytes',
      autoAllocateChunkSize: DEFAULT_READ_MARK,
      start(controller) {
        state.readableController = controller;
      },
      pull(controller) {
        return pull(state, controller, sizer);
      },
      cancel(reason) {
        // SPEC 6: `readable.cancel()` destroys the socket.
        state.abort(reason);
      },
    },
    { highWaterMark: 0 },
  ) as ReadableStream<Uint8Array>;
}

function pull(state: ConnState, controller: ReadableByteStreamController, sizer: ReadSizer): Promise<void> | undefined {
  // A direct run that was unspliced may still have a read in flight: its
  // bytes land in the buffer and must be read first.
  if (state.reading) {
    const waiting = state.readSettled().then(() => {
      state.pulling = undefined;
      return pull(state, controller, sizer);
    });
    state.pulling = waiting;
    return waiting;
  }
  if (state.destroyed) return undefined; // the stream was closed or errored with the conn
  const byob = controller.byobRequest;
  // A default read (or none): read into our own buffer and enqueue it.
  const request = byob === null || byob.view!.byteLength === DEFAULT_READ_MARK ? null : byob;
  const view: Uint8Array<ArrayBuffer> = request === null ? sizer.buffer() : asBytes(request.view!);
  if (state.pending.size > 0) {
    const n = state.pending.takeInto(view);
    if (request === null) controller.enqueue(sizer.chunk(view, n));
    else request.respond(n);
    return undefined;
  }
  if (state.eof) return void closeAtEof(state, controller);
  // The hot path: one conn.read() straight into the buffer.
  const pulling = state.read(view).then(
    (n) => {
      state.pulling = undefined;
      if (state.destroyed) return;
      if (n === null) return closeAtEof(state, controller);
      // Bytes put back meanwhile (unshift, SPEC 6) go first: these join the buffer behind them.
      if (state.pending.size > 0) {
        state.pending.push(view.slice(0, n as number));
        return void pull(state, controller, sizer);
      }
      if (request === null) controller.enqueue(sizer.chunk(view, n as number));
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
