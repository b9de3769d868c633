/**
 * The readable side of an adapted conn: a readable byte stream fed by
 * `conn.read()`.
 *
 * - `highWaterMark: 0`: nothing is read from the kernel unless a reader asks,
 *   so a slow consumer leaves the data in the kernel (real backpressure,
 *   docs/adapters.md).
 * - A BYOB read goes straight into the reader's view and never asks for more
 *   than it holds: a BYOB read of `remaining` bytes is how the core keeps
 *   `max` exact (docs/contract.md#max).
 * - A default read gets a buffer sized to the traffic (see `ReadSizer`):
 *   per-chunk costs of Web Streams dominate a bulk transfer, so a busy conn
 *   reads up to 4x `highWaterMark` at once, while a quiet one keeps small buffers.
 *   The stream's `autoAllocateChunkSize` is 1 on purpose: a default read
 *   still gets a pull-into descriptor (the spec serves a default read that
 *   waits behind a released BYOB read only through one; without it such a
 *   read hangs), but a 1-byte one, so nothing big is allocated; the adapter
 *   `enqueue()`s its own chunk, which fulfils that read. A BYOB read of
 *   exactly 1 byte takes this path too: it gets its byte, and the rest of the
 *   chunk stays queued in the source, read next.
 * - `conn.read()` returning `null` closes the stream, not the conn: the write
 *   side stays usable (the half-close of docs/adapters.md; Deno's own `conn.readable`
 *   closes the whole conn here, denoland/deno#22258).
 */
import type { Transport } from './runtime.ts';

/**
 * A FIFO of byte chunks: what the adapter read from a conn and did not hand
 * on yet (a read that returned after its owner stopped, surplus put back).
 */
export class ByteQueue {
  #chunks: Uint8Array[] = [];
  /** Bytes queued. */
  size = 0;

  /** Appends bytes at the back. */
  push(bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    this.#chunks.push(bytes);
    this.size += bytes.byteLength;
  }

  /** Puts bytes back at the front (read, but not delivered). */
  unshift(bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    this.#chunks.unshift(bytes);
    this.size += bytes.byteLength;
  }

  /** Removes up to `max` bytes from the front, without copying. Only when `size > 0`. */
  take(max: number): Uint8Array {
    const head = this.#chunks[0]!;
    if (head.byteLength <= max) {
      this.#chunks.shift();
      this.size -= head.byteLength;
      return head;
    }
    this.#chunks[0] = head.subarray(max);
    this.size -= max;
    return head.subarray(0, max);
  }

  /** Drops every byte (a closed socket delivers no more reads). */
  clear(): void {
    this.#chunks = [];
    this.size = 0;
  }

  /** Copies up to `view.byteLength` bytes from the front into `view`; returns the count. */
  takeInto(view: Uint8Array): number {
    let n = 0;
    while (n < view.byteLength && this.size > 0) {
      const chunk = this.take(view.byteLength - n);
      view.set(chunk, n);
      n += chunk.byteLength;
    }
    return n;
  }
}

/**
 * Buffer sizes for default reads: doubles (up to 4x `highWaterMark`) while reads
 * fill their buffer, halves (down to `highWaterMark / 4`) when a read uses a
 * quarter or less. A short read is copied out and its buffer reused, so a
 * few bytes never pin a large buffer in the drain's queue.
 */
class ReadSizer {
  #size: number;
  readonly #min: number;
  readonly #max: number;
  #spare: Uint8Array<ArrayBuffer> | undefined;

  constructor(highWaterMark: number) {
    this.#size = highWaterMark;
    this.#min = Math.max(1, highWaterMark >> 2);
    this.#max = highWaterMark * 4;
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
export function createReadable(state: Transport, highWaterMark: number): ReadableStream<Uint8Array> {
  const sizer = new ReadSizer(highWaterMark);
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
        // docs/adapters.md: `readable.cancel()` destroys the socket.
        state.abort(reason);
      },
    },
    { highWaterMark: 0 },
  ) as ReadableStream<Uint8Array>;
}

function pull(state: Transport, controller: ReadableByteStreamController, sizer: ReadSizer): Promise<void> | undefined {
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
  if (state.destroyed || state.closing) return undefined; // the stream was errored with the conn
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
      if (state.destroyed || state.closing) return;
      if (n === null) return closeAtEof(state, controller);
      // Bytes put back meanwhile (unshift, docs/contract.md#header-then-splice) go first: these join the buffer behind them.
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

function closeAtEof(state: Transport, controller: ReadableByteStreamController): void {
  // A pending BYOB read settles only through respond(0) (docs/runtimes.md#web-streams-everywhere).
  controller.close();
  controller.byobRequest?.respond(0);
  state.readFinished();
}

function asBytes(view: ArrayBufferView): Uint8Array<ArrayBuffer> {
  return new Uint8Array(view.buffer as ArrayBuffer, view.byteOffset, view.byteLength);
}
