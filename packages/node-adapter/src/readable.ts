/**
 * The read side: a readable byte stream fed from a socket's `'data'` events
 * through the adapter's own buffer, with real backpressure (docs/adapters.md).
 *
 * Why a buffer of our own rather than `controller.enqueue()` on every
 * `'data'`: with `highWaterMark: 0` the stream pulls only while a read is
 * pending, and we enqueue one chunk per pull, so the stream's own queue
 * holds at most the part of one chunk a BYOB read had no room for (a BYOB
 * read of `remaining` bytes takes exactly that: docs/contract.md#max), and the socket
 * is paused once our buffer reaches the high-water mark. No
 * `autoAllocateChunkSize`: it would cost a zeroed 64 KiB allocation and a
 * copy per default read. This buffer is also what the direct dispatch path
 * takes bytes from (./direct.ts).
 * Node API: https://nodejs.org/api/net.html#event-data
 */
import type { NodeTransport } from './runtime.ts';

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
  /** close() was called: no more bytes are delivered. */
  #dropping = false;

  constructor(readonly transport: NodeTransport, readonly highWaterMark: number) {
    // This object is the underlying source (its start, pull and cancel
    // below): no closures per socket, which at thousands of idle
    // connections are a measurable share of the memory (issue 6). The
    // socket's events reach us through the shared listeners of ./runtime.ts.
    this.stream = new ReadableStream(this as UnderlyingByteSource, { highWaterMark: 0 });
    // The peer's FIN was consumed before we were given the socket ('end'
    // fired, so Node holds no bytes any more): it will never come again,
    // so the readable starts at EOF. A FIN still behind buffered bytes
    // needs nothing: those bytes come through 'data', then 'end'.
    if (transport.socket.readableEnded) this.#phase = 'ended';
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
    this.transport.destroy(reason);
  }

  /** Bytes held in userspace and not read yet: ours, the stream's queue, Node's. */
  get buffered(): number {
    const queued = this.#controller.desiredSize;
    return this.#bytes + (queued !== null && queued < 0 ? -queued : 0) + this.transport.readableLength;
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

  /** Puts bytes back at the front: the next reader (or splice) gets them first (docs/contract.md#max). */
  unshift(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    this.#chunks.unshift(chunk);
    this.#bytes += chunk.byteLength;
  }

  /**
   * The endpoint's `unshift()` (docs/contract.md#header-then-splice): `bytes` (checked, a private copy)
   * go first; a read left pending by a released reader is served with them.
   */
  putBack(bytes: Uint8Array): void {
    if (this.#phase === 'closed' || this.#phase === 'errored') throw this.transport.closedError();
    this.unshift(bytes);
    if (this.#waiting && !this.#held && this.#consumer === undefined) this.#serve();
    else this.#flow();
  }

  /**
   * Moves the bytes a released reader left in the stream's own queue to the
   * front of our buffer, in order, through the splice's `reader` (the direct
   * path forwards them first: docs/contract.md#starting-a-splice). Only queued chunks are read, so no
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
    if (this.#phase === 'open') this.transport.resume();
  }

  pause(): void {
    this.transport.pause();
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
    // After close(): bytes nobody will read; reading on is how the peer's FIN is seen.
    if (this.#dropping) return;
    if (this.#consumer !== undefined) return this.#consumer.data(chunk);
    this.#chunks.push(chunk);
    this.#bytes += chunk.byteLength;
    if (this.#waiting && !this.#held) this.#serve();
    // Real backpressure (docs/adapters.md): above the mark the socket stops
    // reading, and once Node's own buffer fills it stops reading the kernel.
    if (this.#bytes >= this.highWaterMark) this.transport.pause();
  }

  /**
   * Answers the pending pull with one chunk through `enqueue()`. A default
   * read gets the chunk itself; a BYOB read gets what its view holds and the
   * rest waits in the stream's queue, read next (docs/contract.md#max: exact). Why not
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
    if (this.#dropping) return this.transport.resume();
    if (this.#consumer !== undefined || this.#phase !== 'open') return;
    if (this.#bytes < this.highWaterMark) this.transport.resume();
    else this.transport.pause();
  }

  /**
   * close() (docs/adapters.md#closing): no more reads are delivered. The
   * readable ends (bytes already in the stream's own queue are still read,
   * then EOF), a splice from it ends at EOF, what we buffered is dropped,
   * and the socket reads on, dropping, so that the peer's FIN is seen.
   */
  shut(): void {
    this.#dropping = true;
    this.#chunks = [];
    this.#bytes = 0;
    const wasOpen = this.#phase === 'open';
    if (wasOpen) this.#phase = 'ended';
    if (this.#consumer !== undefined) {
      if (wasOpen) this.#consumer.end();
    } else if (this.#phase === 'ended') this.#close();
    this.transport.resume();
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
      // A pending BYOB read settles only through its request (docs/runtimes.md).
      this.#controller.byobRequest?.respond(0);
    } catch {
      // Already closed or errored: nothing is waiting any more.
    }
  }

  onError(error: unknown): void {
    this.#fail(error);
  }

  onClose(): void {
    if (this.#phase === 'ended' || this.#phase === 'closed' || this.#phase === 'errored') {
      if (this.#phase === 'ended' && this.#chunks.length === 0 && this.#waiting) this.#close();
      return;
    }
    // Destroyed underneath the stream: a failure (docs/contract.md#how-a-splice-ends).
    this.#fail(this.transport.closedError());
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
