/**
 * The kernel path for two sockets of this adapter (docs/contract.md#the-kernel-path): the
 * splice thread of `@sosplice/native` moves the bytes with splice(2), so
 * they never enter JavaScript. The hook of ./direct.ts's provider: used
 * when both sockets have a kernel fd (TCP or Unix, no TLS) and the kernel
 * path is enabled; otherwise the kit's direct path runs.
 *
 * What this file does around the thread, in order:
 * - the drain's queued writes go first, until the kit's outbox and Node's
 *   own write queue are empty (the thread then writes the fd alone);
 * - the source's handle stops reading (`readStop()`, with `_handle.reading`
 *   left true so Node's `_read()` does not start it again), and whatever
 *   Node and the read side had buffered goes to the drain first, within the
 *   budget (docs/runtimes.md, "Found while building the first adapters");
 * - at the end the handle reads again and the bytes the thread read back
 *   from its pipe go to the drain (counted) or, if the drain failed, back
 *   to the front of the source.
 */
import type * as net from 'node:net';
import * as tls from 'node:tls';
import type { DirectEndpointTask, DirectSpliceRun, DirectSpliceTask } from '@sosplice/core';
import { SocketDirectRun, type DrainWatcher, type ReadConsumer, type SocketReadSide, type SocketWriteSide } from '@sosplice/core/socket';
import { KernelHandover, kernelEligible, nextPoll } from '@sosplice/native';
import type { NodeTransport } from './runtime.ts';

type Task = DirectSpliceTask | DirectEndpointTask;

const EMPTY = new Uint8Array(0);

/** The parts of Node's internal stream handle (TCPWrap, PipeWrap) this file uses. */
interface StreamHandle {
  fd?: number;
  reading?: boolean;
  readStart(): number;
  readStop(): number;
}

const handleOf = (socket: net.Socket): StreamHandle | undefined => (socket as unknown as { _handle?: StreamHandle | null })._handle ?? undefined;
const socketOf = (side: SocketReadSide | SocketWriteSide): net.Socket => (side.transport as unknown as NodeTransport).socket;

/** The socket's kernel fd, if the kernel path can use it: connected, not TLS, a real fd. */
function kernelFd(socket: net.Socket): number | undefined {
  if (socket instanceof tls.TLSSocket || socket.connecting || socket.destroyed) return undefined;
  const handle = handleOf(socket);
  if (handle === undefined || typeof handle.readStop !== 'function') return undefined;
  return handle.fd;
}

/**
 * A kernel run for this splice, or `undefined` when it does not qualify
 * (the kit's direct path runs then). If the thread refuses the splice
 * later (say, out of fds) the kit's direct path takes over.
 */
export function kernelRun(source: SocketReadSide, drain: SocketWriteSide, task: Task): DirectSpliceRun | undefined {
  if (source.phase !== 'open' || drain.phase !== 'open') return undefined;
  const sourceFd = kernelFd(socketOf(source));
  const drainFd = kernelFd(socketOf(drain));
  if (!kernelEligible(source, drain, sourceFd, drainFd, task.control)) return undefined;
  const { reader, writer } = 'reader' in task ? task : { reader: undefined, writer: undefined };
  const fallback = (): DirectSpliceRun => new SocketDirectRun(source, drain, task.control, reader, writer);
  return new KernelRun(source, drain, task, fallback, [sourceFd as number, drainFd as number], reader, writer);
}

class KernelRun extends KernelHandover<Task> implements ReadConsumer, DrainWatcher {
  #takenOver = false;
  /** A socket was destroyed under the prelude: its own error or close event (next tick) ends the run. */
  #parked = false;
  /** The prelude waits for the drain's outbox to empty. */
  #outboxEmptied: (() => void) | undefined;

  constructor(
    readonly source: SocketReadSide,
    readonly drain: SocketWriteSide,
    task: Task,
    fallback: () => DirectSpliceRun,
    fds: readonly [source: number, drain: number],
    reader: ReadableStreamDefaultReader<Uint8Array> | undefined,
    writer: WritableStreamDefaultWriter<Uint8Array> | undefined,
  ) {
    super(task, fds, fallback);
    source.claim();
    // Never report anything synchronously from splice(): the core has no run yet.
    queueMicrotask(() => void this.#prelude(reader, writer));
  }

  async #prelude(reader?: ReadableStreamDefaultReader<Uint8Array>, writer?: WritableStreamDefaultWriter<Uint8Array>): Promise<void> {
    if (this.over) return;
    // docs/contract.md#flow-and-memory: chunks still in the drain's writable reach the socket before any spliced byte.
    const flushing = this.drain.flushQueued(writer);
    if (flushing !== undefined) {
      try {
        await flushing;
      } catch (error) {
        if (!this.over) this.control.drainErrored(error);
        return;
      }
      if (this.over) return;
    }
    this.drain.watch(this);
    // The thread writes this fd: a close() of the drain sends its FIN once the run let go.
    (this.drain.transport as unknown as NodeTransport).kernelDrain = true;
    if (this.drain.phase !== 'open') return this.drainUnusable();
    await this.source.takeBack(reader);
    if (this.over) return;
    if (this.source.phase === 'errored') return this.control.sourceErrored(this.source.failure);
    this.source.attach(this);
    // docs/contract.md#starting-a-splice: what was queued in userspace goes first, oldest first: the
    // read side's queue, then Node's (taken by #takeOver() through data()).
    for (let chunk = this.source.queue.shift(); chunk !== undefined; chunk = this.source.queue.shift()) this.prefix.push(chunk);
    if (!this.#takeOver()) return;
    while (this.prefix.length > 0 && !this.over) this.send(this.prefix.shift()!);
    if (this.over) return;
    if (this.source.phase !== 'open') return this.finish(undefined);
    // The thread must be the drain's only writer: wait until the kit and Node handed the kernel everything.
    const socket = socketOf(this.drain);
    while ((this.drain.outbox.size > 0 || socket.writableLength > 0) && this.drain.phase === 'open' && !this.over) {
      if (this.drain.outbox.size > 0) await new Promise<void>((resolve) => (this.#outboxEmptied = resolve));
      else await new Promise<void>((resolve) => socket.write(EMPTY, () => resolve()));
    }
    if (this.over) return;
    if (this.drain.phase !== 'open' && this.pending === undefined) return this.drainUnusable();
    this.startKernel();
  }

  /** Stops Node reading the source and collects what it had buffered; false if it cannot. */
  #takeOver(): boolean {
    const socket = socketOf(this.source);
    const handle = handleOf(socket);
    this.source.pause();
    if (handle === undefined || socket.destroyed) {
      // Destroyed meanwhile: Node reports why on its next tick (an ECONNRESET, our own close()).
      if (this.pending !== undefined || this.source.phase !== 'open') this.finish(undefined);
      else this.#parked = true;
      return false;
    }
    const rc = handle.readStop();
    if (rc !== 0) {
      this.control.sourceErrored(Object.assign(new Error(`readStop failed (${rc})`), { code: 'ERR_SOCKET_CLOSED' }));
      return false;
    }
    // Node's _read() restarts a handle whose `reading` is false: it stays true while the thread reads.
    handle.reading = true;
    this.#takenOver = true;
    // Node's own buffer, through 'data' into data() below.
    while (socket.read() !== null);
    return true;
  }

  /** Node reads the source again; what is left of the prefix goes back in front. */
  protected giveBack(): Promise<void> | undefined {
    this.drain.watch(undefined);
    const drain = this.drain.transport as unknown as NodeTransport;
    drain.kernelDrain = false;
    // The run writes its last bytes to the drain right after this: a pending FIN follows them.
    queueMicrotask(() => drain.finAfterKernel());
    const socket = socketOf(this.source);
    const handle = handleOf(socket);
    let reading = false;
    if (this.#takenOver && handle !== undefined && !socket.destroyed) {
      this.#takenOver = false;
      handle.reading = true;
      reading = handle.readStart() === 0;
    }
    const prefix = this.prefix;
    this.prefix = [];
    for (let i = prefix.length - 1; i >= 0; i--) this.source.queue.unshift(prefix[i]!);
    this.source.detach();
    return reading ? nextPoll() : undefined;
  }

  protected drainWritable(): boolean {
    return this.drain.phase === 'open';
  }

  protected drainUnusable(): void {
    // Destroyed with its 'error' / 'close' still to come: that event ends the run, with the runtime's error.
    if (this.drain.phase === 'open' && socketOf(this.drain).destroyed) this.#parked = true;
    else this.control.drainErrored(this.drain.closedError());
  }

  protected writeToDrain(bytes: Uint8Array): void {
    try {
      this.drain.send(bytes);
    } catch {
      // The drain is gone: its own error event reports it.
    }
  }

  protected failSocket(side: 'source' | 'drain', error: unknown): void {
    // Node never read the reset: the socket fails as if it had (docs/adapters.md: the runtime's error, with its code).
    ((side === 'source' ? this.source : this.drain).transport as unknown as NodeTransport).destroyWith(error);
  }

  protected endedBeforeKernel(): void {
    if (this.source.phase === 'ended' || this.source.phase === 'closed') this.control.sourceEnded();
    else if (this.source.phase === 'errored') this.control.sourceErrored(this.source.failure);
  }

  // --- ReadConsumer / DrainWatcher: socket events while this run holds the sockets ---

  data(chunk: Uint8Array): void {
    this.prefix.push(chunk);
  }

  end(): void {
    this.interrupt({ side: 'eof' }, this.#parked);
  }

  error(error: unknown): void {
    this.interrupt({ side: 'source', error }, this.#parked);
  }

  writable(): void {
    const emptied = this.#outboxEmptied;
    this.#outboxEmptied = undefined;
    emptied?.();
  }

  failed(error: unknown): void {
    this.writable();
    this.interrupt({ side: 'drain', error }, this.#parked);
  }
}
