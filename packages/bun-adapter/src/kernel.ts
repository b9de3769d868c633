/**
 * The kernel path for two sockets of this adapter (docs/contract.md#the-kernel-path): the
 * splice thread of `@sosplice/native` moves the bytes with splice(2), so
 * they never enter JavaScript. The hook of ./direct.ts's provider: taken
 * when both are plain (not TLS) Bun sockets with a kernel fd and the kernel
 * path is enabled; otherwise the socket kit's direct run moves the bytes.
 *
 * Around the thread, in order: the drain's queued writes go first, until
 * its outbox is empty (the thread then writes the fd alone); the source is
 * paused (Bun's `pause()` stops kernel reads, except on a reset, which the
 * thread guards against: docs/runtimes.md) and what it had buffered goes to
 * the drain first, within the budget; at the end the bytes the thread read
 * back from its pipe go to the drain (counted) or, if the drain failed,
 * back to the front of the source, and the source's flow is the stream's again.
 */
import type { DirectEndpointTask, DirectSpliceRun, DirectSpliceTask } from '@sosplice/core';
import { SocketDirectRun, type DrainWatcher, type ReadConsumer, type SocketReadSide, type SocketWriteSide } from '@sosplice/core/socket';
import { KernelHandover, kernelEligible, nextPoll } from '@sosplice/native';
import { writeEpipeError, type BunSocket, type BunTransport } from './runtime.ts';

type Task = DirectSpliceTask | DirectEndpointTask;

/** The kernel fd of a plain TCP or Unix socket (a TLS socket's bytes are ciphertext: never spliced). */
function kernelFd(transport: BunTransport): number | undefined {
  const socket = transport.socket as BunSocket & { fd?: number };
  if (transport.isClosed || Object.prototype.toString.call(socket) !== '[object TCPSocket]') return undefined;
  return socket.fd;
}

/** A kernel run for this splice, or `undefined` when it does not qualify (the kit's direct run moves the bytes then). */
export function kernelHook(source: SocketReadSide, drain: SocketWriteSide, task: Task): DirectSpliceRun | undefined {
  if (source.phase !== 'open' || drain.phase !== 'open') return undefined;
  const sourceFd = kernelFd(source.transport as BunTransport);
  const drainFd = kernelFd(drain.transport as BunTransport);
  if (!kernelEligible(source, drain, sourceFd, drainFd, task.control)) return undefined;
  const [reader, writer] = 'reader' in task ? [task.reader, task.writer] : [undefined, undefined];
  // If the thread refuses the splice (out of fds, say), the kit's direct run takes it from where this one left it.
  const fallback = (): DirectSpliceRun => new SocketDirectRun(source, drain, task.control, reader, writer);
  const run = new KernelRun(source, drain, task, fallback, [sourceFd!, drainFd!], reader, writer);
  run.start();
  return run;
}

class KernelRun extends KernelHandover<Task> implements ReadConsumer, DrainWatcher {
  #outboxEmpty: (() => void) | undefined;

  constructor(
    readonly src: SocketReadSide,
    readonly dst: SocketWriteSide,
    task: Task,
    fallback: () => DirectSpliceRun,
    fds: readonly [source: number, drain: number],
    readonly reader: ReadableStreamDefaultReader<Uint8Array> | undefined,
    readonly writer: WritableStreamDefaultWriter<Uint8Array> | undefined,
  ) {
    super(task, fds, fallback);
  }

  start(): void {
    // The source stops reading; what Bun still delivers, and its end or failure, come here.
    this.src.claim();
    this.src.attach(this);
    this.src.pause();
    this.dst.watch(this);
    // Not inside provider.splice(): the core learns of the run from its return value.
    queueMicrotask(() => void this.#prelude());
  }

  async #prelude(): Promise<void> {
    try {
      // docs/contract.md#flow-and-memory: writes still queued on the drain go before any spliced byte.
      await this.dst.flushQueued(this.writer);
      await this.#drainFlushed();
    } catch (error) {
      if (!this.over) this.control.drainErrored(error);
      return;
    }
    // docs/contract.md#starting-a-splice: bytes a reader abandoned in the stream's queue go first.
    await this.src.takeBack(this.reader);
    // Until nothing is left in userspace: a read Bun had under way when it paused lands in the
    // source's queue meanwhile, and must go before the thread's bytes.
    do {
      if (this.over) return;
      for (let chunk = this.src.queue.shift(); chunk !== undefined; chunk = this.src.queue.shift()) this.prefix.push(chunk);
      while (this.prefix.length > 0 && !this.over) this.send(this.prefix.shift()!);
      if (this.over) return;
      try {
        // The thread must be the drain's only writer.
        await this.#drainFlushed();
      } catch (error) {
        if (!this.over) this.control.drainErrored(error);
        return;
      }
    } while (this.src.queue.size > 0);
    if (this.over) return;
    if (this.src.phase !== 'open') return this.finish(undefined);
    this.startKernel();
  }

  /** Resolves once the drain's outbox is empty; rejects if the drain failed. */
  #drainFlushed(): Promise<void> {
    if (this.dst.phase === 'errored') return Promise.reject(this.dst.failure);
    if (this.dst.outbox.size === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#outboxEmpty = () => (this.dst.phase === 'errored' ? reject(this.dst.failure) : resolve());
    });
  }

  /** The source's flow is the stream's again; what is left of the prefix goes back in front. */
  protected giveBack(): Promise<void> | undefined {
    this.dst.watch(undefined);
    for (let i = this.prefix.length - 1; i >= 0; i--) this.src.queue.unshift(this.prefix[i]!);
    this.prefix = [];
    this.src.detach();
    // Bun reads what the kernel holds, if the stream wants it, at its loop's next poll.
    return this.src.phase !== 'open' || (this.src.transport as BunTransport).isClosed ? undefined : nextPoll();
  }

  protected drainWritable(): boolean {
    return this.dst.phase === 'open';
  }

  protected drainUnusable(): void {
    this.control.drainErrored(this.dst.closedError());
  }

  protected writeToDrain(bytes: Uint8Array): void {
    try {
      this.dst.send(bytes);
    } catch (error) {
      // Lost with the connection: the drain's failure ends the run (if it still runs).
      this.interrupt({ side: 'drain', error });
    }
  }

  protected failSocket(side: 'source' | 'drain', error: unknown): void {
    // Bun never read the reset: the socket fails as if it had (docs/adapters.md: the runtime's error, with its code).
    const transport = (side === 'source' ? this.src.transport : this.dst.transport) as BunTransport;
    transport.onError(error);
    transport.reset();
  }

  protected endedBeforeKernel(): void {
    if (this.src.phase === 'errored') this.control.sourceErrored(this.src.failure);
    else if (this.src.phase !== 'open') this.control.sourceEnded();
  }

  // --- ReadConsumer and DrainWatcher: socket events while this run holds both ---

  data(chunk: Uint8Array): void {
    // Behind what the queue holds already: the prelude takes it in order. After close() nothing is kept.
    if (this.src.phase !== 'errored') this.src.queue.push(chunk);
  }

  end(): void {
    this.interrupt({ side: 'eof' });
  }

  error(error: unknown): void {
    this.interrupt({ side: 'source', error });
  }

  writable(): void {
    const wake = this.#outboxEmpty;
    this.#outboxEmpty = undefined;
    wake?.();
  }

  failed(error: unknown): void {
    // Bun may report the drain's reset as a plain close while the thread was writing into it: the
    // connection was lost under a write, as the JS direct path reports it (EPIPE). Not so after
    // close(): its SocketClosedError is the reason.
    const coded = (error as { code?: unknown } | null)?.code;
    const lost = coded === 'ERR_SOCKET_CLOSED' && !(this.dst.transport as BunTransport).draining;
    this.writable();
    this.interrupt({ side: 'drain', error: lost ? writeEpipeError() : error });
  }
}
