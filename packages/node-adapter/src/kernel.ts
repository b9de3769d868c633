/**
 * The kernel path for two sockets of this adapter (docs/contract.md#the-kernel-path): the
 * splice thread of `@sosplice/native` moves the bytes with splice(2), so
 * they never enter JavaScript. Used by ./direct.ts when both sockets have a
 * kernel fd (TCP or Unix, no TLS) and the kernel path is enabled.
 *
 * What this file does around the thread, in order:
 * - the drain's queued writes go first, until Node's own write queue is
 *   empty (the thread then writes the fd alone);
 * - the source's handle stops reading (`readStop()`, with `_handle.reading`
 *   left true so Node's `_read()` does not start it again), and whatever
 *   Node and the readable had buffered goes to the drain first, within the
 *   budget (docs/runtimes.md, "Found while building the first adapters");
 * - at the end the handle reads again and the bytes the thread read back
 *   from its pipe go to the drain (counted) or, if the drain failed, back
 *   to the front of the source.
 */
import type net from 'node:net';
import tls from 'node:tls';
import type { DirectSpliceRun, DirectSpliceTask } from '@sosplice/core';
import { KernelHandover, kernelEligible, nextPoll } from '@sosplice/native';
import type { ReadConsumer, ReadSide } from './readable.ts';
import type { WriteSide, WriteWatcher } from './writable.ts';

const EMPTY = new Uint8Array(0);

/** The parts of Node's internal stream handle (TCPWrap, PipeWrap) this file uses. */
interface StreamHandle {
  fd?: number;
  reading?: boolean;
  readStart(): number;
  readStop(): number;
}

const handleOf = (socket: net.Socket): StreamHandle | undefined => (socket as unknown as { _handle?: StreamHandle | null })._handle ?? undefined;

/** The socket's kernel fd, if the kernel path can use it: connected, not TLS, a real fd. */
function kernelFd(socket: net.Socket): number | undefined {
  if (socket instanceof tls.TLSSocket || socket.connecting || socket.destroyed) return undefined;
  const handle = handleOf(socket);
  if (handle === undefined || typeof handle.readStop !== 'function') return undefined;
  return handle.fd;
}

/**
 * A kernel run for this splice, or `undefined` when it does not qualify
 * (the caller then runs the JS direct path). `fallback` starts the JS direct
 * path later if the thread refuses the splice (say, out of fds).
 */
export function kernelRun(source: ReadSide, drain: WriteSide, task: DirectSpliceTask, fallback: () => DirectSpliceRun): DirectSpliceRun | undefined {
  if (source.phase !== 'open' || !drain.writable) return undefined;
  const sourceFd = kernelFd(source.transport.socket);
  const drainFd = kernelFd(drain.transport.socket);
  if (!kernelEligible(task.source, task.drain, sourceFd, drainFd, task.control)) return undefined;
  return new KernelRun(source, drain, task, fallback, [sourceFd as number, drainFd as number]);
}

class KernelRun extends KernelHandover implements ReadConsumer, WriteWatcher {
  #takenOver = false;
  /** A socket was destroyed under the prelude: its own error or close event (next tick) ends the run. */
  #parked = false;

  constructor(
    readonly source: ReadSide,
    readonly drain: WriteSide,
    task: DirectSpliceTask,
    fallback: () => DirectSpliceRun,
    fds: readonly [source: number, drain: number],
  ) {
    super(task, fds, fallback);
    // Never report anything synchronously from splice(): the core has no run yet.
    queueMicrotask(() => void this.#prelude());
  }

  async #prelude(): Promise<void> {
    if (this.over) return;
    const { writer, reader } = this.task;
    // docs/contract.md#flow-and-memory: chunks still in the drain's writable reach the socket before any spliced byte.
    if (writer.desiredSize !== this.drain.highWaterMark) {
      try {
        await writer.write(EMPTY);
      } catch (error) {
        if (!this.over) this.control.drainErrored(error);
        return;
      }
      if (this.over) return;
    }
    this.drain.watch(this);
    if (!this.drain.writable) return this.drainUnusable();
    await this.source.reclaim(reader);
    if (this.over) return;
    if (this.source.phase === 'errored') return this.control.sourceErrored(this.source.transport.closedError());
    this.source.attach(this);
    // docs/contract.md#starting-a-splice: what was queued in userspace goes first, oldest first: the
    // adapter's buffer, then Node's (taken by #takeOver() through data()).
    for (let chunk = this.source.shift(); chunk !== undefined; chunk = this.source.shift()) this.prefix.push(chunk);
    if (!this.#takeOver()) return;
    while (this.prefix.length > 0 && !this.over) this.send(this.prefix.shift()!);
    if (this.over) return;
    if (this.source.phase !== 'open') return this.finish(undefined);
    // The thread must be the drain's only writer: wait until Node handed the kernel everything.
    const socket = this.drain.transport.socket;
    while (socket.writableLength > 0 && this.drain.writable && !this.over) {
      await new Promise<void>((resolve) => this.drain.transport.write(EMPTY, resolve));
    }
    if (this.over) return;
    if (!this.drain.writable && this.pending === undefined) return this.drainUnusable();
    this.startKernel();
  }

  /** Stops Node reading the source and collects what it had buffered; false if it cannot. */
  #takeOver(): boolean {
    const socket = this.source.transport.socket;
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
    const handle = handleOf(this.source.transport.socket);
    let reading = false;
    if (this.#takenOver && handle !== undefined && !this.source.transport.socket.destroyed) {
      this.#takenOver = false;
      handle.reading = true;
      reading = handle.readStart() === 0;
    }
    const prefix = this.prefix;
    this.prefix = [];
    this.source.attach(undefined);
    for (const chunk of prefix) this.source.onData(chunk);
    return reading ? nextPoll() : undefined;
  }

  protected drainWritable(): boolean {
    return this.drain.writable;
  }

  protected drainUnusable(): void {
    if (this.drain.failurePending) this.#parked = true;
    else this.control.drainErrored(this.drain.transport.closedError());
  }

  protected writeToDrain(bytes: Uint8Array): void {
    this.drain.transport.write(bytes);
  }

  protected failSocket(side: 'source' | 'drain', error: unknown): void {
    // Node never read the reset: the socket fails as if it had (docs/adapters.md: the runtime's error, with its code).
    (side === 'source' ? this.source : this.drain).transport.destroyWith(error);
  }

  protected endedBeforeKernel(): void {
    if (this.source.phase === 'ended' || this.source.phase === 'closed') this.control.sourceEnded();
    else if (this.source.phase === 'errored') this.control.sourceErrored(this.source.transport.closedError());
  }

  // --- ReadConsumer / WriteWatcher: socket events while this run holds the source ---

  data(chunk: Uint8Array): void {
    this.prefix.push(chunk);
  }

  end(): void {
    this.interrupt({ side: 'eof' }, this.#parked);
  }

  error(error: unknown): void {
    // The same socket may be both ends (an echo): report the side that failed first.
    this.interrupt({ side: this.source.phase === 'errored' ? 'source' : 'drain', error }, this.#parked);
  }
}
