/**
 * The read side of a socket endpoint (docs/adapters.md#the-streams): a
 * readable byte stream over a push transport, created on first access, and
 * the lease through which a direct splice takes the side without it
 * (docs/contract.md#direct-dispatch, SPEC 6.2).
 *
 * Bytes are kept in order in three places, front first: the stream's own
 * queue (the part of a chunk a BYOB read had no room for), this side's
 * `queue`, the transport. The stream has `highWaterMark: 0` and each pull is
 * answered with one chunk through `enqueue()`, so the stream's queue holds at
 * most that partial chunk, a BYOB read of `remaining` bytes takes exactly
 * that many (docs/contract.md#max), and no `autoAllocateChunkSize` buffer is
 * zeroed per default read. Why `enqueue()`, not `byobRequest.respond()`:
 * after a reader released a pending BYOB read, the request left behind
 * belongs to nobody, and bytes answered into it would not fulfil the next
 * default read; `enqueue()` retires such a request and serves the live read.
 * The transport is paused while `queue` holds `highWaterMark` bytes (real
 * backpressure: the kernel's buffer fills next).
 */
import { directSplice, type DirectSourceLease, type DirectSpliceProvider } from '../direct.ts';
import { BytesLease, ReadLease } from './leases.ts';
import { invalidArgType, spliceBusy } from '../errors.ts';
import { ByteQueue } from './byte-queue.ts';
import { SocketClosedError } from './errors.ts';
import type { SocketTransport } from './transport.ts';

/** Who takes received bytes instead of the stream while a direct splice runs (./direct-run.ts). */
export interface ReadConsumer {
  data(chunk: Uint8Array): void;
  /** Hands each chunk on at once to a drain that gives buffers back: it may get chunks in lent read buffers (./read-buffers.ts). */
  readonly borrows?: boolean;
  end(): void;
  error(error: unknown): void;
}

/** `open`: bytes may come; `ended`: the peer's FIN came (the queue may still hold bytes); `closed`: EOF delivered, or cancelled. */
export type ReadPhase = 'open' | 'ended' | 'closed' | 'errored';

export class SocketReadSide {
  readonly transport: SocketTransport;
  readonly highWaterMark: number;
  /** Compared by identity in the core; `undefined`: no direct dispatch (the stream carries no mark). */
  readonly provider: DirectSpliceProvider | undefined;
  /** Received and not handed on yet (after the stream's own queue, before the transport); owns its bytes, a lent chunk is copied in. */
  readonly queue: ByteQueue = new ByteQueue(true);
  #stream: ReadableStream<Uint8Array> | undefined;
  #controller: ReadableByteStreamController | undefined;
  #phase: ReadPhase = 'open';
  #failure: unknown;
  /** A pull is unanswered (a read is pending, or was abandoned mid-read). */
  #waiting = false;
  #paused = false;
  /** A direct splice owns the side (from its start; the consumer is attached after its prelude). */
  #claimed = false;
  #consumer: ReadConsumer | undefined;
  #lease: ReadLease | undefined;
  /** Moving the stream's queue back into `queue`: nothing may be served meanwhile. */
  #takingBack = false;
  /** A byte lease's holder waits for bytes, EOF or an error. */
  #wake: (() => void) | undefined;

  /**
   * `provider`: this adapter's direct provider (./direct-run.ts), or
   * `undefined` to keep every splice on the stream path. `paused`: whether
   * the transport is paused now (a pull-based transport whose read loop has
   * not started); by default it is taken to be delivering already.
   */
  constructor(transport: SocketTransport, highWaterMark: number, provider?: DirectSpliceProvider, paused = false) {
    this.transport = transport;
    this.highWaterMark = highWaterMark;
    this.provider = provider;
    this.#paused = paused;
  }

  /** The readable byte stream, created on first access; locked while a lease holds the side. */
  get readable(): ReadableStream<Uint8Array> {
    let stream = this.#stream;
    if (stream !== undefined) return stream;
    // This object is the underlying source (type, start, pull, cancel below): no closures per socket.
    stream = new ReadableStream(this as UnderlyingByteSource, { highWaterMark: 0 }) as ReadableStream<Uint8Array>;
    this.#stream = stream;
    if (this.provider !== undefined) Object.defineProperty(stream, directSplice, { value: this });
    // SPEC 6.2: a stream obtained while the side is spliced is locked.
    if (this.#lease !== undefined) this.#lease.hold = stream.getReader();
    return stream;
  }

  get phase(): ReadPhase {
    return this.#phase;
  }

  /** The error the side failed with (phase `errored`). */
  get failure(): unknown {
    return this.#failure;
  }

  /** A direct run takes the bytes now and may borrow their buffer (./read-buffers.ts). */
  get borrowing(): boolean {
    return this.#consumer?.borrows === true;
  }

  /** Bytes received and not read yet: the stream's queue, this side's, the runtime's. */
  get buffered(): number {
    return this.streamQueued + this.queue.size + (this.transport.readBuffered ?? 0);
  }

  /** Bytes a released reader left in the stream's own queue. */
  get streamQueued(): number {
    const size = this.#controller?.desiredSize;
    return size === undefined || size === null || size >= 0 ? 0 : -size;
  }

  // --- underlying byte source ---

  get type(): 'bytes' {
    return 'bytes';
  }

  start(controller: ReadableByteStreamController): void {
    this.#controller = controller;
    if (this.#phase === 'errored') controller.error(this.#failure);
    else if (this.#phase === 'closed') controller.close();
  }

  pull(): void {
    this.#waiting = true;
    this.#answer();
  }

  /** `readable.cancel()`: destroys the socket (docs/adapters.md#the-streams). */
  cancel(reason: unknown): void {
    this.#phase = 'closed';
    this.queue.clear();
    this.#waiting = false;
    this.transport.reset(reason);
  }

  // --- transport events ---

  onData(chunk: Uint8Array): void {
    const consumer = this.#consumer;
    if (consumer !== undefined) return consumer.data(chunk);
    if (this.#phase === 'closed' || this.#phase === 'errored') return;
    this.queue.push(chunk);
    if (this.#waiting) this.#answer();
    if (this.queue.size >= this.highWaterMark) this.pause();
    this.#wakeLessee();
  }

  /** The peer's FIN: EOF once the bytes before it are read. Closes neither the socket nor its write side. */
  onEnd(): void {
    if (this.#phase !== 'open') return;
    this.#phase = 'ended';
    if (this.#consumer !== undefined) return this.#consumer.end();
    if (this.#waiting) this.#answer();
    this.#wakeLessee();
  }

  /** The socket failed. After EOF the read side is complete: the failure belongs to the write side. */
  onError(error: unknown): void {
    if (this.#phase !== 'open') return;
    this.#phase = 'errored';
    this.#failure = error;
    this.queue.clear();
    this.#waiting = false;
    try {
      this.#controller?.error(error);
    } catch {
      // The stream already ended.
    }
    this.#consumer?.error(error);
    this.#wakeLessee();
  }

  // --- the endpoint ---

  /**
   * The endpoint's `unshift()` (docs/contract.md#header-then-splice): `bytes`
   * (copied: the caller may reuse its buffer) are read next.
   */
  unshift(bytes: unknown): void {
    if (!(bytes instanceof Uint8Array)) throw invalidArgType('bytes', 'a Uint8Array', bytes);
    if (this.#claimed || this.#lease !== undefined || this.#stream?.locked === true) throw spliceBusy('readable');
    const queued = this.streamQueued;
    if (queued > 0) {
      const error = spliceBusy('readable');
      error.message = `unshift(): the readable still holds ${queued} bytes a partial read left in its queue; read them before giving bytes back`;
      throw error;
    }
    if (this.#phase === 'errored') throw this.#failure;
    if (this.#phase === 'closed') throw new SocketClosedError('unshift(): the readable has ended');
    this.queue.unshift(bytes.slice());
    if (this.#waiting) this.#answer();
    else this.#flow();
  }

  /** SPEC 6.2: the side for a splice, or `undefined` when it is taken (spliced, or its stream locked). */
  lease(): DirectSourceLease | undefined {
    if (this.#lease !== undefined || this.#claimed || this.#stream?.locked === true) return undefined;
    const lease = new ReadLease(this);
    this.#lease = lease;
    if (this.#stream !== undefined) lease.hold = this.#stream.getReader();
    return lease;
  }

  /**
   * The side lent to `readUntil()` / `readExactly()` (`byteLease` in
   * ../unshift.ts): a lease whose holder takes chunks from `queue` itself,
   * no stream read. `undefined` when the side is taken, or when the stream's
   * own queue holds bytes (they come first: read the stream).
   */
  leaseBytes(): BytesLease | undefined {
    if (this.#lease !== undefined || this.#claimed || this.#stream?.locked === true || this.streamQueued > 0) return undefined;
    const lease = new BytesLease(this);
    this.#lease = lease;
    if (this.#stream !== undefined) lease.hold = this.#stream.getReader();
    return lease;
  }

  /** @internal a byte lease's `take()`: the next chunk, `null` at EOF, `undefined` while none is there. */
  takeChunk(): Uint8Array | null | undefined {
    const chunk = this.queue.shift();
    // Resumes the transport once the queue is below the mark again (and while it waits for bytes).
    this.#flow();
    if (chunk !== undefined) return chunk;
    if (this.#phase === 'errored') throw this.#failure;
    return this.#phase === 'open' ? undefined : null;
  }

  /** @internal a byte lease's `wait()`: resolves at the next bytes, EOF or error. */
  whenData(): Promise<void> {
    return new Promise((resolve) => (this.#wake = resolve));
  }

  /** @internal a byte lease gives back what its holder read past what it wanted (no copy: the bytes came from `queue`). */
  giveBack(rest: Uint8Array): void {
    this.queue.unshift(rest);
  }

  #wakeLessee(): void {
    const wake = this.#wake;
    if (wake === undefined) return;
    this.#wake = undefined;
    wake();
  }

  /** @internal the lease ends: the stream (if any) is the application's again, next bytes in order. */
  endLease(lease: ReadLease): void {
    if (this.#lease !== lease) return;
    this.#lease = undefined;
    lease.hold?.releaseLock();
    if (this.#waiting) this.#answer();
    this.#flow();
  }

  // --- the direct path (./direct-run.ts) ---

  /** A direct splice owns the side from now: nothing is served to the stream, bytes wait in `queue`. */
  claim(): void {
    this.#claimed = true;
  }

  /**
   * Moves the bytes a released reader left in the stream's own queue to the
   * front of `queue`, in order, through the splice's reader (the core's, or
   * the lease's). Only queued chunks are read, so no pull is triggered.
   */
  async takeBack(reader: ReadableStreamDefaultReader<Uint8Array> | undefined = this.#lease?.hold): Promise<void> {
    if (reader === undefined || this.streamQueued === 0) return;
    const taken: Uint8Array[] = [];
    this.#takingBack = true;
    try {
      for (let guard = this.streamQueued; this.streamQueued > 0 && guard > 0; guard--) {
        const { done, value } = await reader.read();
        if (done) break;
        taken.push(value);
      }
    } catch {
      // Released (the splice was stopped meanwhile) or errored: keep what was taken.
    } finally {
      for (let i = taken.length - 1; i >= 0; i--) this.queue.unshift(taken[i]!);
      this.#takingBack = false;
    }
  }

  /** Received bytes go to `consumer` from now (after the caller took `queue`'s; it puts back a tail with `queue.unshift()`). */
  attach(consumer: ReadConsumer): void {
    this.#consumer = consumer;
  }

  /** The direct splice is over: bytes feed the stream again, which pauses or resumes the transport by its queue. */
  detach(): void {
    this.#consumer = undefined;
    this.#claimed = false;
    if (this.#waiting) this.#answer();
    this.#flow();
  }

  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.transport.pause();
  }

  resume(): void {
    if (!this.#paused || this.#phase !== 'open') return;
    this.#paused = false;
    this.transport.resume();
  }

  // --- serving the stream ---

  /** Answers the pending pull, if the stream owns the side: one chunk, or EOF. */
  #answer(): void {
    if (this.#claimed || this.#lease !== undefined || this.#takingBack || this.#consumer !== undefined) return;
    const chunk = this.queue.shift();
    if (chunk !== undefined) {
      this.#waiting = false;
      // enqueue() transfers the buffer: only a chunk that owns all of it goes
      // as is; a view into a larger one (a tail left by max, whose head may
      // still sit in a drain's queue) is copied.
      const owned = chunk.byteOffset === 0 && chunk.buffer.byteLength === chunk.byteLength && chunk.buffer instanceof ArrayBuffer;
      this.#controller!.enqueue((owned ? chunk : new Uint8Array(chunk)) as Uint8Array<ArrayBuffer>);
    } else if (this.#phase === 'ended') {
      this.#waiting = false;
      this.#phase = 'closed';
      try {
        this.#controller!.close();
        // A pending BYOB read settles only through its request.
        this.#controller!.byobRequest?.respond(0);
      } catch {
        // Already closed or errored: nothing is waiting any more.
      }
      return;
    }
    this.#flow();
  }

  /** Resumes the transport while `queue` has room, pauses it above the mark (not while a direct splice steers it). */
  #flow(): void {
    if (this.#consumer !== undefined || this.#phase !== 'open') return;
    if (this.queue.size < this.highWaterMark) this.resume();
    else this.pause();
  }
}
