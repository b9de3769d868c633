/**
 * The read side: a readable byte stream fed from a socket's `'data'` events
 * through the adapter's own buffer, with real backpressure (SPEC.md 6).
 *
 * Why a buffer of our own rather than `controller.enqueue()` on every
 * `'data'`: with `highWaterMark: 0` the stream pulls only while a read is
 * pending, and we enqueue one chunk per pull, so the stream's own queue
 * holds at most the part of one chunk a BYOB read had no room for (a BYOB
 * read of `remaining` bytes takes exactly that: SPEC.md 4.3), and the socket
 * is paused once our buffer reaches the high-water mark. No
 * `autoAllocateChunkSize`: it would cost a zeroed 64 KiB allocation and a
 * copy per default read. This buffer is also what the direct dispatch path
 * takes bytes from (./direct.ts).
 * Node API: https://nodejs.org/api/net.html#event-data
 */
import type { SocketState } from './_state.js';

/** What the direct dispatch path registers to take bytes instead of the stream. */
export interface ReadConsumer {
  data(chunk: Uint8Array): void;
  end(): void;
  error(error: unknown): void;
}

type ReadPhase = 'open' | 'ended' | 'errored' | 'closed';

export class ReadSide {
  readonly stream: ReadableStream<Uint8Array>;
  #controller!: ReadableByteStreamController;
  #chunks: Uint8Array[] = [];
  #bytes = 0;
  /** A pull is waiting for bytes (a read is pending, or was abandoned mid-read). */
  #waiting = false;
  #phase: ReadPhase = 'open';
  #consumer: ReadConsumer | undefined;
  /** Reads are held back while bytes from the stream's queue are being reclaimed. */
  #held = false;

  constructor(readonly state: SocketState, readonly highWaterMark: number) {
    // This object is the underlying source (its start, pull and cancel
    // below): no closures per socket, which at thousands of idle
    // connections are a measurable share of the memory (issue 6). The
    // socket's events reach us through the shared listeners of ./socket.ts.
    this.stream = new ReadableStream(this as UnderlyingByteSource, { highWaterMark: 0 });
    // The peer's FIN was consumed before we were given the socket ('end'
    // fired, so Node holds no bytes any more): it will never come again,
    // so the readable starts at EOF. A FIN still behind buffered bytes
    // needs nothing: those bytes come through 'data', then 'end'.
    if (state.socket.readableEnded) this.#phase = 'ended';
  }

  /** Underlying source: a byte stream. */
  get type(): 'bytes' {
    return 'bytes';
  }

  /** Underlying source. */
  start(controller: ReadableByteStreamController): void {
    this.#controller = controller;
  }

  /** Underlying source. */
  pull(): void {
    this.#pull();
  }

  /** Underlying source. */
  cancel(reason: unknown): void {
    this.#phase = 'closed';
    this.#clear();
    this.state.destroy(reason);
  }

  /** Bytes held in userspace and not read yet: ours, the stream's queue, Node's. */
  get buffered(): number {
    const queued = this.#controller.desiredSize;
    return this.#bytes + (queued !== null && queued < 0 ? -queued : 0) + this.state.socket.readableLength;
  }

  /** Bytes a released reader left in the stream's own queue (see direct.ts). */
  get streamQueued(): number {
    const size = this.#controller.desiredSize;
    return size !== null && size < 0 ? -size : 0;
  }

  get phase(): ReadPhase {
    return this.#phase;
  }

  /** Takes the next buffered chunk, for the direct path. */
  shift(): Uint8Array | undefined {
    const chunk = this.#chunks.shift();
    if (chunk !== undefined) this.#bytes -= chunk.byteLength;
    return chunk;
  }

  /** Puts bytes back at the front: the next reader (or splice) gets them first (SPEC.md 4.3). */
  unshift(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    this.#chunks.unshift(chunk);
    this.#bytes += chunk.byteLength;
  }

  /**
   * The endpoint's `unshift()` (SPEC.md 6): `bytes` (checked, a private copy)
   * go first; a read left pending by a released reader is served with them.
   */
  putBack(bytes: Uint8Array): void {
    if (this.#phase === 'closed' || this.#phase === 'errored') throw this.state.closedError();
    this.unshift(bytes);
    if (this.#waiting && !this.#held && this.#consumer === undefined) this.#serve();
    else this.#flow();
  }

  /**
   * Moves the bytes a released reader left in the stream's own queue to the
   * front of our buffer, in order, through the splice's `reader` (the direct
   * path forwards them first: SPEC.md 3). Only queued chunks are read, so no
   * pull is triggered; bounded by the queued byte count.
   */
  async reclaim(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    if (this.streamQueued === 0) return;
    const taken: Uint8Array[] = [];
    this.#held = true;
    try {
      for (let guard = this.streamQueued; this.streamQueued > 0 && guard > 0; guard--) {
        const { done, value } = await reader.read();
        if (done) break;
        taken.push(value);
      }
    } catch {
      // Released (the splice was stopped meanwhile) or errored: keep what was taken.
    } finally {
      for (let i = taken.length - 1; i >= 0; i--) this.unshift(taken[i]!);
      this.#held = false;
      if (this.#consumer === undefined && this.#waiting && this.#chunks.length > 0) this.#serve();
    }
  }

  /** Hands live `'data'` to the direct path; `undefined` gives it back to the stream. */
  attach(consumer: ReadConsumer | undefined): void {
    this.#consumer = consumer;
    if (consumer === undefined) {
      if (this.#waiting && !this.#held && this.#chunks.length > 0) this.#serve();
      else if (this.#waiting && this.#phase === 'ended') this.#close();
      this.#flow();
    }
  }

  /** Lets the socket read (used by the direct path while it consumes). */
  resume(): void {
    if (this.#phase === 'open') this.state.socket.resume();
  }

  pause(): void {
    this.state.socket.pause();
  }

  #pull(): void {
    if (this.#held) {
      this.#waiting = true;
      return;
    }
    if (this.#chunks.length > 0) return this.#serve();
    if (this.#phase === 'ended') return this.#close();
    this.#waiting = true;
    this.#flow();
  }

  onData(chunk: Uint8Array): void {
    if (this.#consumer !== undefined) return this.#consumer.data(chunk);
    this.#chunks.push(chunk);
    this.#bytes += chunk.byteLength;
    if (this.#waiting && !this.#held) this.#serve();
    // Real backpressure (SPEC.md 6): above the mark the socket stops
    // reading, and once Node's own buffer fills it stops reading the kernel.
    if (this.#bytes >= this.highWaterMark) this.state.socket.pause();
  }

  /**
   * Answers the pending pull with one chunk through `enqueue()`. A default
   * read gets the chunk itself; a BYOB read gets what its view holds and the
   * rest waits in the stream's queue, read next (SPEC.md 4.3: exact). Why not
   * `byobRequest.respond()`: after a reader released a pending BYOB read,
   * the request left behind belongs to nobody, and bytes answered into it go
   * to the queue without fulfilling the next default read (a hang);
   * `enqueue()` retires such a request and serves the live read. enqueue()
   * transfers the chunk's ArrayBuffer, so only a chunk that owns its whole
   * buffer (as Node's 'data' chunks do) goes as is; a part of a larger
   * buffer (the tail left by max, whose head may still sit in a drain's
   * write queue) is copied first: `new Uint8Array(view)` copies, a Buffer's
   * slice() would not.
   */
  #serve(): void {
    this.#waiting = false;
    const chunk = this.shift();
    if (chunk === undefined) return;
    const owned = chunk.byteOffset === 0 && chunk.buffer.byteLength === chunk.byteLength && chunk.buffer instanceof ArrayBuffer;
    this.#controller.enqueue((owned ? chunk : new Uint8Array(chunk)) as Uint8Array<ArrayBuffer>);
    this.#flow();
  }

  /** Resumes the socket when our buffer has room and nobody else paused it. */
  #flow(): void {
    if (this.#consumer !== undefined || this.#phase !== 'open') return;
    if (this.#bytes < this.highWaterMark) this.state.socket.resume();
    else this.state.socket.pause();
  }

  onEnd(): void {
    if (this.#phase !== 'open') return;
    this.#phase = 'ended';
    if (this.#consumer !== undefined) return this.#consumer.end();
    if (this.#waiting && this.#chunks.length === 0) this.#close();
  }

  #close(): void {
    this.#waiting = false;
    this.#phase = 'closed';
    try {
      this.#controller.close();
      // A pending BYOB read settles only through its request (RUNTIMES.md).
      this.#controller.byobRequest?.respond(0);
    } catch {
      // Already closed or errored: nothing is waiting any more.
    }
  }

  onError(error: unknown): void {
    this.state.fail(error);
    this.#fail(error);
  }

  onClose(): void {
    if (this.#phase === 'ended' || this.#phase === 'closed' || this.#phase === 'errored') {
      if (this.#phase === 'ended' && this.#chunks.length === 0 && this.#waiting) this.#close();
      return;
    }
    // Closed by our own close(): the readable ends; otherwise it was
    // destroyed underneath the stream, which is a failure (SPEC.md 5).
    if (this.state.closing && !this.state.failed) {
      this.#phase = 'ended';
      if (this.#consumer !== undefined) return this.#consumer.end();
      if (this.#chunks.length === 0) this.#close();
      return;
    }
    this.#fail(this.state.closedError());
  }

  #fail(error: unknown): void {
    // After EOF the read side is complete: a later failure (say, EPIPE on a
    // write) belongs to the write side and must not drop unread bytes.
    if (this.#phase !== 'open') return;
    this.#phase = 'errored';
    this.#clear();
    try {
      this.#controller.error(error);
    } catch {
      // The stream already ended.
    }
    this.#consumer?.error(error);
  }

  #clear(): void {
    this.#chunks = [];
    this.#bytes = 0;
    this.#waiting = false;
  }
}
