/**
 * The kernel path for two sockets of this adapter (docs/contract.md#the-kernel-path): the
 * splice thread of `@sosplice/native` moves the bytes with splice(2), so
 * they never enter JavaScript. Used by ./direct.ts when both are plain
 * (not TLS) Bun sockets with a kernel fd and the kernel path is enabled.
 *
 * Around the thread, in order: the drain's queued writes go first, until
 * the `outbox` is empty (the thread then writes the fd alone); the source is
 * paused (Bun's `pause()` stops kernel reads, except on a reset, which the
 * thread guards against: docs/runtimes.md) and what
 * it had buffered goes to the drain first, within the budget; at the end the
 * bytes the thread read back from its pipe go to the drain (counted) or, if
 * the drain failed, back to the front of the source, and the source's flow
 * is the stream's again.
 */
import type { DirectSpliceRun, DirectSpliceTask } from '@sosplice/core';
import { KernelHandover, kernelEligible, nextPoll } from '@sosplice/native';
import type { Route } from './readable.ts';
import { writeEpipeError, type BunSocket, type DrainOwner, type SocketState } from './runtime.ts';

const EMPTY = new Uint8Array(0);

/** The kernel fd of a plain TCP or Unix socket (a TLS socket's bytes are ciphertext: never spliced). */
function kernelFd(state: SocketState): number | undefined {
  const socket = state.socket as BunSocket & { fd?: number };
  if (state.isClosed || Object.prototype.toString.call(socket) !== '[object TCPSocket]') return undefined;
  return socket.fd;
}

/**
 * A kernel run for this splice, or `undefined` when it does not qualify
 * (the caller then runs the JS direct path). `fallback` starts the JS direct
 * path later if the thread refuses the splice (say, out of fds).
 */
export function kernelRun(src: SocketState, dst: SocketState, task: DirectSpliceTask, fallback: () => DirectSpliceRun): DirectSpliceRun | undefined {
  if (src.readEnded || src.readFailed || dst.writeEnded || dst.writeFailed || dst.writeClosing) return undefined;
  const sourceFd = kernelFd(src);
  const drainFd = kernelFd(dst);
  if (!kernelEligible(task.source, task.drain, sourceFd, drainFd, task.control)) return undefined;
  const run = new KernelRun(src, dst, task, fallback, [sourceFd!, drainFd!]);
  run.start();
  return run;
}

class KernelRun extends KernelHandover implements Route, DrainOwner {
  constructor(
    readonly src: SocketState,
    readonly dst: SocketState,
    task: DirectSpliceTask,
    fallback: () => DirectSpliceRun,
    fds: readonly [source: number, drain: number],
  ) {
    super(task, fds, fallback);
  }

  start(): void {
    // The source pauses (wantsData() is false) and its data comes here from now on.
    this.src.route = this;
    this.dst.drainOwner = this;
    this.src.updateFlow();
    // Not inside provider.splice(): the core learns of the run from its return value.
    queueMicrotask(() => void this.#prelude());
  }

  async #prelude(): Promise<void> {
    const { reader, writer } = this.task;
    try {
      // docs/contract.md#flow-and-memory: writes still queued on the drain go before any spliced byte.
      if (writer.desiredSize !== this.dst.highWaterMark) await writer.write(EMPTY);
      await this.dst.whenOutboxEmpty();
    } catch (error) {
      if (!this.over) this.control.drainErrored(error);
      return;
    }
    try {
      // docs/contract.md#starting-a-splice: bytes a reader abandoned in the stream's queue go first.
      while (!this.over && -(this.src.rc?.desiredSize ?? 0) > 0) {
        const { value, done } = await reader.read();
        if (done) break;
        // Stopped meanwhile: these bytes were the first in the source, and go back there.
        if (this.over) return this.src.unshift(value);
        this.prefix.push(value);
      }
    } catch (error) {
      if (!this.over) this.control.sourceErrored(error);
      return;
    }
    // Until nothing is left in userspace: a read Bun had under way when it paused lands in `inbox`
    // meanwhile, and must go before the thread's bytes.
    do {
      if (this.over) return;
      for (let chunk = this.src.shift(); chunk !== undefined; chunk = this.src.shift()) this.prefix.push(chunk);
      while (this.prefix.length > 0 && !this.over) this.send(this.prefix.shift()!);
      if (this.over) return;
      try {
        // The thread must be the drain's only writer.
        await this.dst.whenOutboxEmpty();
      } catch (error) {
        if (!this.over) this.control.drainErrored(error);
        return;
      }
    } while (this.src.inboxBytes > 0);
    if (this.over) return;
    if (this.src.readEnded || this.src.readFailed) return this.finish(undefined);
    this.startKernel();
  }

  /** The source's flow is the stream's again; what is left of the prefix goes back in front. */
  protected giveBack(): Promise<void> | undefined {
    if (this.src.route === this) this.src.route = undefined;
    if (this.dst.drainOwner === this) this.dst.drainOwner = undefined;
    for (let i = this.prefix.length - 1; i >= 0; i--) this.src.unshift(this.prefix[i]!);
    this.prefix = [];
    this.src.updateFlow();
    // Bun reads what the kernel holds, if the stream wants it, at its loop's next poll.
    return this.src.paused || this.src.isClosed ? undefined : nextPoll();
  }

  protected drainWritable(): boolean {
    return !this.dst.writeFailed && !this.dst.writeEnded && !this.dst.writeClosing;
  }

  protected drainUnusable(): void {
    try {
      this.dst.assertWritable();
    } catch (error) {
      this.control.drainErrored(error);
    }
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
    const state = side === 'source' ? this.src : this.dst;
    state.onError(error);
    if (!state.isClosed) state.socket.terminate();
  }

  protected endedBeforeKernel(): void {
    if (this.src.readFailed) this.control.sourceErrored(this.src.readError);
    else if (this.src.readEnded) this.control.sourceEnded();
  }

  // --- Route (source side) and DrainOwner: socket events while this run holds both ---

  onData(chunk: Uint8Array): void {
    // Behind what `inbox` holds already: the prelude takes it in order.
    this.src.push(chunk);
  }

  onEnd(): void {
    this.interrupt({ side: 'eof' });
  }

  onError(error: unknown): void {
    this.interrupt({ side: 'source', error });
  }

  wantsData(): boolean {
    return false;
  }

  onOutboxEmpty(): void {}

  onDrainError(error: unknown): void {
    // Bun may report the drain's reset as a plain close; the thread was writing into it: the
    // connection was lost under a write, as the JS direct path reports it (EPIPE).
    // (Not so after close(): that SocketClosedError is the reason.)
    const coded = (error as { code?: unknown } | null)?.code;
    const lost = coded === 'ERR_SOCKET_CLOSED' && !this.dst.writeClosing;
    this.interrupt({ side: 'drain', error: lost ? writeEpipeError() : error });
  }
}
