/**
 * The write side of a socket endpoint (docs/adapters.md#the-streams): a
 * writable counted in bytes over a push transport, created on first access,
 * and the lease through which a direct splice takes the side without it
 * (docs/contract.md#direct-dispatch, SPEC 6.2).
 *
 * - `write()` resolves once the transport took every byte: what it did not
 *   take waits in `outbox`, before anything newer, and goes out on
 *   `onWritable()` (partial writes, in order).
 * - `close()` is a half-close: FIN after every byte (`transport.shutdown()`).
 * - `abort()` resets the socket (`transport.reset()`).
 * - The direct path writes through `send()`, after the outbox, so spliced
 *   bytes and the writable's bytes reach the transport in the order given.
 */
import { directSplice, type DirectDrainLease, type DirectSpliceProvider } from '../direct.ts';
import { invalidArgType } from '../errors.ts';
import { ByteQueue } from './byte-queue.ts';
import { WriteLease } from './leases.ts';
import { SocketClosedError } from './errors.ts';
import type { SocketTransport } from './transport.ts';

/** Told what happens to the drain while a direct splice writes to it (./direct-run.ts). */
export interface DrainWatcher {
  /** The outbox is empty again after `send()` returned `false`. */
  writable(): void;
  /** The socket failed. */
  failed(error: unknown): void;
}

/** `open`; `closing`: FIN asked (after the outbox); `closed`: FIN sent; `errored`. */
export type WritePhase = 'open' | 'closing' | 'closed' | 'errored';

const EMPTY = new Uint8Array(0);
const noop = (): void => {};

export class SocketWriteSide {
  readonly transport: SocketTransport;
  readonly highWaterMark: number;
  readonly provider: DirectSpliceProvider | undefined;
  /** Bytes given to the side that the transport has not taken yet, oldest first. */
  readonly outbox: ByteQueue = new ByteQueue();
  #stream: WritableStream<Uint8Array> | undefined;
  #controller: WritableStreamDefaultController | undefined;
  #phase: WritePhase = 'open';
  #failure: unknown;
  /** Bytes in the stream's own queue (counted by its size function). */
  #queued = 0;
  /** A sink write or a close waiting for the outbox to empty. */
  #flushed: { resolve(): void; reject(error: unknown): void } | undefined;
  #watcher: DrainWatcher | undefined;
  #lease: WriteLease | undefined;
  /** `sendBytes()` calls waiting for the outbox to empty. */
  #senders: Array<{ resolve(): void; reject(error: unknown): void }> = [];

  constructor(transport: SocketTransport, highWaterMark: number, provider?: DirectSpliceProvider) {
    this.transport = transport;
    this.highWaterMark = highWaterMark;
    this.provider = provider;
  }

  /** The writable, created on first access; locked while a lease holds the side, closed once the side is. */
  get writable(): WritableStream<Uint8Array> {
    let stream = this.#stream;
    if (stream !== undefined) return stream;
    stream = new WritableStream<Uint8Array>(this as UnderlyingSink<Uint8Array>, {
      highWaterMark: this.highWaterMark,
      size: (chunk) => {
        const n = (chunk as Uint8Array | undefined)?.byteLength ?? 0;
        this.#queued += n;
        return n;
      },
    });
    this.#stream = stream;
    if (this.provider !== undefined) Object.defineProperty(stream, directSplice, { value: this });
    const lease = this.#lease;
    // SPEC 6.2: a stream obtained while the side is spliced is locked; one obtained after a close is closed.
    const writer = this.#phase === 'closing' || this.#phase === 'closed' || lease !== undefined ? stream.getWriter() : undefined;
    if (this.#phase === 'closing' || this.#phase === 'closed') writer!.close().catch(noop);
    if (lease !== undefined) lease.hold = writer;
    else writer?.releaseLock();
    return stream;
  }

  get phase(): WritePhase {
    return this.#phase;
  }

  get failure(): unknown {
    return this.#failure;
  }

  /** Bytes accepted and not yet sent: the stream's queue, the outbox, the runtime's. */
  get buffered(): number {
    return this.#queued + this.outbox.size + (this.transport.writeBuffered ?? 0);
  }

  // --- underlying sink ---

  start(controller: WritableStreamDefaultController): void {
    this.#controller = controller;
    if (this.#phase === 'errored') controller.error(this.#failure);
    // abort() reaches the sink only once a write in flight settled, and one
    // waiting for a stalled peer never does: the controller's signal says it
    // at once, so the reset goes out now (where the runtime has the signal).
    const signal = (controller as { signal?: AbortSignal }).signal;
    signal?.addEventListener('abort', () => this.abort(signal.reason), { once: true });
  }

  write(chunk: unknown): void | Promise<void> {
    if (!(chunk instanceof Uint8Array)) throw invalidArgType('chunk', 'a Uint8Array', chunk);
    this.#queued -= chunk.byteLength;
    if (chunk.byteLength === 0) return;
    if (this.#phase !== 'open') throw this.closedError();
    if (this.send(chunk)) return;
    return this.#whenFlushed();
  }

  /** FIN, a half-close: the peer can still answer (docs/adapters.md#the-streams). */
  close(): Promise<void> {
    return this.shutdown();
  }

  /** `writable.abort()`: reset (docs/contract.md#how-a-splice-ends: a reset travels). */
  abort(reason: unknown): void {
    // Once: from the controller's signal, then again from the stream, or after the socket failed.
    if (this.#phase === 'errored') return;
    this.#fail(reason === undefined ? new SocketClosedError('The socket was destroyed by abort()') : reason);
    this.transport.reset(reason);
  }

  // --- transport events ---

  /** The transport takes bytes again: the outbox goes first, then waiters hear of it. */
  onWritable(): void {
    const outbox = this.outbox;
    try {
      for (let head = outbox.shift(); head !== undefined; head = outbox.shift()) {
        const n = this.transport.write(head);
        if (n < head.byteLength) {
          outbox.unshift(head.subarray(n));
          return;
        }
      }
    } catch (error) {
      return this.onError(error);
    }
    const flushed = this.#flushed;
    this.#flushed = undefined;
    flushed?.resolve();
    this.#settleSenders();
    this.#watcher?.writable();
  }

  /** The socket failed: writes and a pending close reject with `error`. After the FIN went out, nothing changes. */
  onError(error: unknown): void {
    if (this.#phase === 'errored' || this.#phase === 'closed') return;
    this.#fail(error);
    try {
      this.#controller?.error(error);
    } catch {
      // Already errored.
    }
    this.#watcher?.failed(error);
  }

  // --- shared by the stream, the lease and the direct path ---

  /**
   * Hands `chunk` to the transport after the outbox; `true` when it took all
   * of it now. The caller must not reuse `chunk`. Throws what the transport
   * throws, after failing the side with it.
   */
  send(chunk: Uint8Array): boolean {
    if (this.outbox.size === 0) {
      let n: number;
      try {
        n = this.transport.write(chunk);
      } catch (error) {
        // The socket is gone: the side fails with the transport's error (and a direct splice hears of it).
        this.onError(error);
        throw error;
      }
      if (n >= chunk.byteLength) return true;
      if (n > 0) chunk = chunk.subarray(n);
    }
    this.outbox.push(chunk);
    return false;
  }

  /**
   * The endpoint's `byteSink` (../write-bytes.ts): `bytes` go to the
   * transport after everything written before, without the stream; resolves
   * once the transport took them. `undefined` when the side is taken (a
   * lease, a locked stream) or the stream still holds chunks (they go first:
   * write through the stream).
   */
  sendBytes(bytes: Uint8Array): Promise<void> | undefined {
    if (this.#lease !== undefined || this.#stream?.locked === true || this.#queued > 0) return undefined;
    if (this.#phase !== 'open') return Promise.reject(this.closedError());
    try {
      if (this.send(bytes)) return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => this.#senders.push({ resolve, reject }));
  }

  /** FIN once the outbox is empty; resolves when sent. Idempotent. */
  async shutdown(): Promise<void> {
    if (this.#phase === 'errored') throw this.#failure;
    if (this.#phase !== 'open') return;
    this.#phase = 'closing';
    if (this.outbox.size > 0) await this.#whenFlushed();
    await this.transport.shutdown();
    if (this.#phase === 'closing') this.#phase = 'closed';
  }

  /** The error of a write after the end: the failure, or a closed socket. */
  closedError(): unknown {
    return this.#phase === 'errored' ? this.#failure : new SocketClosedError();
  }

  /** SPEC 6.2: the side for a splice, or `undefined` when it is taken (spliced, or its stream locked). */
  lease(): DirectDrainLease | undefined {
    if (this.#lease !== undefined || this.#stream?.locked === true) return undefined;
    const lease = new WriteLease(this);
    this.#lease = lease;
    if (this.#stream !== undefined) lease.hold = this.#stream.getWriter();
    return lease;
  }

  /** @internal */
  endLease(lease: WriteLease): void {
    if (this.#lease !== lease) return;
    this.#lease = undefined;
    lease.hold?.releaseLock();
  }

  /**
   * The direct path's first step: resolves once every chunk written through
   * the writable before the splice went to the transport (a zero-length
   * write through the splice's writer, the core's or the lease's, is the
   * barrier); `undefined` when nothing waits. Rejects if the drain failed.
   */
  flushQueued(writer: WritableStreamDefaultWriter<Uint8Array> | undefined = this.#lease?.hold): Promise<void> | undefined {
    if (writer === undefined || writer.desiredSize === this.highWaterMark) return undefined;
    return writer.write(EMPTY);
  }

  /** A direct splice hears of `writable()` and `failed()` (or stops hearing, with `undefined`). */
  watch(watcher: DrainWatcher | undefined): void {
    this.#watcher = watcher;
  }

  #whenFlushed(): Promise<void> {
    return new Promise<void>((resolve, reject) => (this.#flushed = { resolve, reject }));
  }

  #fail(error: unknown): void {
    if (this.#phase === 'errored') return;
    this.#phase = 'errored';
    this.#failure = error;
    this.outbox.clear();
    this.#queued = 0;
    const flushed = this.#flushed;
    this.#flushed = undefined;
    flushed?.reject(error);
    this.#settleSenders(error);
  }

  /** The outbox is empty (or the side failed): every `sendBytes()` waiting hears of it. */
  #settleSenders(error?: unknown): void {
    if (this.#senders.length === 0) return;
    const senders = this.#senders;
    this.#senders = [];
    for (const sender of senders) {
      if (error === undefined) sender.resolve();
      else sender.reject(error);
    }
  }
}
