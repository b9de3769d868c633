/**
 * The direct path between two socket endpoints built on this kit
 * (docs/contract.md#direct-dispatch): bytes go from the source transport's
 * `onData` straight into the drain transport's `write()`, with pause /
 * `onWritable()` / resume as backpressure, as a hand-written proxy does: no
 * Web Streams, no promise per chunk. The core keeps counting, `max`, `idle`,
 * unsplice and the ending policy; this file moves bytes, in these steps:
 *
 * 1. the drain's queued writes first (those written through its writable
 *    before the splice);
 * 2. then the bytes a released reader left in the source's stream queue,
 *    taken back to the front of the source's queue, then that queue;
 * 3. then live data; a chunk past the budget is split there, and its tail
 *    goes back to the front of the source (docs/contract.md#max);
 * 4. each chunk counted, then written, in one synchronous step: a stop the
 *    count causes (max) finds its bytes counted and on their way;
 * 5. stop exactly once: the source feeds its stream again, and bytes the
 *    drain's transport has not taken yet stay in its outbox, ahead of
 *    anything written later.
 *
 * With a handover (the kernel path of Node and Bun), the run offers itself
 * to the adapter's hook once it has moved `after` bytes: a short connection
 * never pays for the hand-over (fds checked, a thread woken), a long one
 * moves the rest of its bytes outside JavaScript. From then on it forwards
 * `stop()` to the run the hook returned.
 */
import type {
  DirectEndpointTask,
  DirectSpliceEndpoint,
  DirectSpliceProvider,
  DirectSpliceRun,
  DirectSpliceTask,
  SpliceControl,
} from '../direct.ts';
import { SocketReadSide, type ReadConsumer } from './read-side.ts';
import { SocketWriteSide, type DrainWatcher } from './write-side.ts';

/** A later run for the same splice (see the module comment): offered once `after` bytes moved. */
export interface SocketHandover {
  readonly after: number;
  /** The run that takes over from here, or `undefined` to stay on this one. */
  readonly take: () => DirectSpliceRun | undefined;
}

export class SocketDirectRun implements DirectSpliceRun, ReadConsumer, DrainWatcher {
  readonly source: SocketReadSide;
  readonly drain: SocketWriteSide;
  readonly control: SpliceControl;
  /** Each chunk goes to the drain's transport or outbox, which write it and give its buffer back (./read-buffers.ts). */
  readonly borrows: boolean;
  #stopped = false;
  /** The drain's transport took less than asked: the source is paused until `writable()`. */
  #blocked = false;
  #handover: SocketHandover | undefined;
  /** The run the splice was handed to: it moves the bytes and takes `stop()`. */
  #next: DirectSpliceRun | undefined;

  /** `reader` / `writer`: the core's, on a splice between two streams; absent between endpoints (the leases hold them). */
  constructor(
    source: SocketReadSide,
    drain: SocketWriteSide,
    control: SpliceControl,
    reader?: ReadableStreamDefaultReader<Uint8Array>,
    writer?: WritableStreamDefaultWriter<Uint8Array>,
    handover?: SocketHandover,
  ) {
    this.source = source;
    this.drain = drain;
    this.control = control;
    this.#handover = handover;
    this.borrows = drain.transport.returnsLoans === true;
    source.claim();
    // Never report anything synchronously from splice(): the core has no run yet.
    queueMicrotask(() => void this.#start(reader, writer));
  }

  async #start(reader?: ReadableStreamDefaultReader<Uint8Array>, writer?: WritableStreamDefaultWriter<Uint8Array>): Promise<void> {
    if (this.#stopped) return;
    // Step 1: the drain's queued writes first.
    const flushing = this.drain.flushQueued(writer);
    if (flushing !== undefined) {
      try {
        await flushing;
      } catch (error) {
        if (!this.#stopped) this.control.drainErrored(error);
        return;
      }
      if (this.#stopped) return;
    }
    if (this.drain.phase !== 'open') return this.control.drainErrored(this.drain.closedError());
    // Step 2: what a released reader left queued goes back to the front.
    await this.source.takeBack(reader);
    if (this.#stopped) return;
    if (this.source.phase === 'errored') return this.control.sourceErrored(this.source.failure);
    this.drain.watch(this);
    this.source.attach(this);
    this.#flush();
  }

  /** Sends what the source holds, then lets live data flow. */
  #flush(): void {
    const source = this.source;
    while (!this.#stopped && !this.#blocked) {
      const chunk = source.queue.shift();
      if (chunk === undefined) break;
      this.data(chunk);
    }
    if (this.#stopped || this.#blocked) return;
    if (source.phase === 'ended' || source.phase === 'closed') return this.end();
    source.resume();
  }

  /** One chunk from the source: into the drain, within the budget (steps 3 and 4). */
  data(chunk: Uint8Array): void {
    const source = this.source;
    // Handed over, and the next run not attached yet: in order, behind what the source holds.
    if (this.#next !== undefined) return void source.queue.push(chunk);
    if (this.#stopped) return source.queue.unshift(chunk);
    const remaining = this.control.remaining;
    if (chunk.byteLength > remaining) {
      source.pause();
      source.queue.unshift(chunk.subarray(remaining));
      chunk = chunk.subarray(0, remaining);
    }
    if (this.drain.phase !== 'open') {
      source.queue.unshift(chunk);
      source.pause();
      return this.control.drainErrored(this.drain.closedError());
    }
    this.control.count(chunk.byteLength);
    let all: boolean;
    try {
      all = this.drain.send(chunk);
    } catch (error) {
      // The transport refused a counted chunk: as a stream write rejecting after it was handed over.
      return this.control.drainErrored(error);
    }
    // Stopped meanwhile (max): the source's stream steers its flow again.
    if (this.#stopped) return;
    if (!all) {
      this.#blocked = true;
      source.pause();
    } else if (this.#handover !== undefined && this.control.bytes >= this.#handover.after) this.#handOver(this.#handover);
  }

  /**
   * Offers the splice to the next run between two chunks. That run takes
   * what follows as at any start: the drain's outbox first, then what the
   * source holds (chunks arriving meanwhile are queued there, in order).
   */
  #handOver(handover: SocketHandover): void {
    this.#handover = undefined;
    // Before the next run starts: it may watch the drain (and take the source) at once.
    this.drain.watch(undefined);
    const next = handover.take();
    if (next === undefined) return this.drain.watch(this);
    this.#next = next;
    this.#stopped = true;
  }

  writable(): void {
    if (!this.#blocked || this.#stopped) return;
    this.#blocked = false;
    this.#flush();
  }

  end(): void {
    if (!this.#stopped) this.control.sourceEnded();
  }

  /** The source failed (ReadConsumer). */
  error(error: unknown): void {
    if (!this.#stopped) this.control.sourceErrored(error);
  }

  /** The drain failed (DrainWatcher). */
  failed(error: unknown): void {
    // The same socket may be both ends (an echo): a failure the source reported first wins in the core.
    if (!this.#stopped) this.control.drainErrored(error);
  }

  /** Step 5: exactly once, for every ending. */
  stop(): void | Promise<void> {
    if (this.#next !== undefined) return this.#next.stop();
    if (this.#stopped) return;
    this.#stopped = true;
    this.drain.watch(undefined);
    this.source.detach();
  }
}

/** The endpoint-level mark of a kit endpoint (SPEC 6.2): `endpoint[directSplice]`. */
export class SocketEndpointMark implements DirectSpliceEndpoint {
  readonly provider: DirectSpliceProvider;
  readonly read: SocketReadSide;
  readonly write: SocketWriteSide;

  constructor(provider: DirectSpliceProvider, read: SocketReadSide, write: SocketWriteSide) {
    this.provider = provider;
    this.read = read;
    this.write = write;
  }

  leaseSource(): ReturnType<SocketReadSide['lease']> {
    return this.read.lease();
  }

  leaseDrain(): ReturnType<SocketWriteSide['lease']> {
    return this.write.lease();
  }
}

/**
 * A hook that may run a splice its own way (the kernel path of Node and
 * Bun): return a run, or `undefined` for the kit's {@link SocketDirectRun}.
 * `task` is the core's, stream-level or endpoint-level. Called when the
 * splice starts, or, with `hookAfter`, once the kit's run moved that many
 * bytes (the run hands the rest over; its reader and writer were served).
 */
export type SocketDirectHook = (source: SocketReadSide, drain: SocketWriteSide, task: DirectSpliceTask | DirectEndpointTask) => DirectSpliceRun | undefined;

/**
 * A provider for an adapter's kit sockets: one per adapter (the core pairs
 * ends by its identity). Give it to the sides (`new SocketReadSide(t, hwm,
 * provider)`) and to the endpoint's {@link SocketEndpointMark}.
 * It declines, so the core's stream path reports the streams' own state,
 * when the source failed or was cancelled or the drain is not open.
 * `hookAfter()`: bytes each splice moves on the kit's run before `hook` is
 * asked (read at every start; `0`: at the start).
 */
export function createSocketDirectProvider(hook?: SocketDirectHook, hookAfter?: () => number): DirectSpliceProvider {
  const run = (source: SocketReadSide, drain: SocketWriteSide, task: DirectSpliceTask | DirectEndpointTask, reader?: ReadableStreamDefaultReader<Uint8Array>, writer?: WritableStreamDefaultWriter<Uint8Array>): DirectSpliceRun | undefined => {
    if (source.provider !== provider || drain.provider !== provider) return undefined;
    if (source.phase === 'errored' || source.phase === 'closed' || drain.phase !== 'open') return undefined;
    const after = hook === undefined ? 0 : (hookAfter?.() ?? 0);
    if (after <= 0) return hook?.(source, drain, task) ?? new SocketDirectRun(source, drain, task.control, reader, writer);
    // A budget that ends the splice before the hand-over: never worth asking.
    const handover = task.control.remaining > after ? { after, take: () => hook!(source, drain, task) } : undefined;
    return new SocketDirectRun(source, drain, task.control, reader, writer, handover);
  };
  const provider: DirectSpliceProvider = {
    splice(task) {
      const { source, drain } = task;
      if (!(source instanceof SocketReadSide) || !(drain instanceof SocketWriteSide)) return undefined;
      return run(source, drain, task, task.reader, task.writer);
    },
    spliceEndpoints(task) {
      const { source, drain } = task;
      if (!(source instanceof SocketEndpointMark) || !(drain instanceof SocketEndpointMark)) return undefined;
      return run(source.read, drain.write, task);
    },
  };
  return provider;
}
