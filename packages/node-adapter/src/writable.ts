/**
 * The write side: a WritableStream counted in bytes over `socket.write()`,
 * honouring its return value and `'drain'` (SPEC.md 6). Written by hand
 * because `Duplex.toWeb` counts chunks, not bytes, and on Node 20 its
 * `close()` waits for the read side (RUNTIMES.md, Node).
 * Node API: https://nodejs.org/api/stream.html#writablewritechunk-encoding-callback
 */
import type { Socket } from 'node:net';
import type { SocketState } from './_state.js';
import { invalidArg } from './errors.js';

/** Told when the socket fails while the direct path writes to it. */
export interface WriteWatcher {
  error(error: unknown): void;
}

const uncork = (socket: Socket): void => void socket.uncork();

export class WriteSide {
  readonly stream: WritableStream<Uint8Array>;
  #controller!: WritableStreamDefaultController;
  #drain: { resolve(): void; reject(error: unknown): void } | undefined;
  #closing: { resolve(): void; reject(error: unknown): void } | undefined;
  #finished = false;
  #queued = 0;
  #watcher: WriteWatcher | undefined;

  constructor(readonly state: SocketState, readonly highWaterMark: number) {
    // This object is the underlying sink (start, write, close, abort
    // below): no closures per socket (issue 6; see ./readable.ts). The
    // socket's events reach us through the shared listeners of ./socket.ts.
    this.stream = new WritableStream<Uint8Array>(this as UnderlyingSink<Uint8Array>, {
      highWaterMark,
      size: (chunk) => {
        const n = (chunk as Uint8Array | undefined)?.byteLength ?? 0;
        // Writes after the end are refused without reaching write().
        if (this.writable) this.#queued += n;
        return n;
      },
    });
  }

  /** Underlying sink. */
  start(controller: WritableStreamDefaultController): void {
    this.#controller = controller;
  }

  /** Underlying sink. */
  write(chunk: Uint8Array): void | Promise<void> {
    return this.#write(chunk);
  }

  /** Underlying sink: FIN, a half-close: the peer can still answer (SPEC.md 6). */
  close(): Promise<void> {
    return this.#close();
  }

  /** Underlying sink. */
  abort(reason: unknown): void {
    this.state.destroy(reason);
  }

  onError(error: unknown): void {
    this.#fail(error);
  }

  onClose(): void {
    if (!this.#finished) this.#fail(this.state.closedError());
  }

  /** Bytes accepted and not yet handed to the kernel. */
  get buffered(): number {
    return this.#queued + this.state.socket.writableLength;
  }

  /** The write side is still usable: not finished, not failed, not destroyed. */
  get writable(): boolean {
    return !this.#finished && !this.state.failed && !this.state.socket.destroyed && !this.state.socket.writableEnded;
  }

  /** The socket is destroyed but has not reported why yet (its events come on the next tick). */
  get failurePending(): boolean {
    return this.state.socket.destroyed && !this.state.failed && !this.#finished;
  }

  /** Registers the direct path to hear about failures of this socket. */
  watch(watcher: WriteWatcher | undefined): void {
    this.#watcher = watcher;
  }

  #write(chunk: Uint8Array): void | Promise<void> {
    const n = (chunk as Uint8Array | undefined)?.byteLength;
    if (!(chunk instanceof Uint8Array) || n === undefined) throw invalidArg('chunk', 'a Uint8Array', chunk);
    this.#queued -= n;
    if (n === 0) return;
    if (!this.writable) {
      // Destroyed with its 'error' / 'close' still to come: fail with that
      // error (the runtime's, e.g. ECONNRESET), not a generic one.
      if (this.failurePending) return new Promise<void>((resolve, reject) => (this.#drain = { resolve, reject }));
      throw this.state.closedError();
    }
    const socket = this.state.socket;
    // Writes of one tick leave in one syscall (a head written here, then a
    // spliced body): Node itself corks only inside http.
    if (socket.writableCorked === 0) {
      socket.cork();
      process.nextTick(uncork, socket);
    }
    // Node says "full" above its own 16 KiB mark; our queue is counted
    // against our high-water mark (SPEC.md 6), so wait for 'drain' only
    // once Node holds that much.
    if (socket.write(chunk) || socket.writableLength < this.highWaterMark) return;
    return new Promise<void>((resolve, reject) => {
      this.#drain = { resolve, reject };
    });
  }

  onDrain(): void {
    const drain = this.#drain;
    this.#drain = undefined;
    drain?.resolve();
  }

  #close(): Promise<void> {
    if (!this.writable) return Promise.reject(this.state.closedError());
    return new Promise<void>((resolve, reject) => {
      this.#closing = { resolve, reject };
      this.state.socket.end();
    });
  }

  onFinish(): void {
    this.#finished = true;
    this.#queued = 0;
    const closing = this.#closing;
    this.#closing = undefined;
    closing?.resolve();
  }

  #fail(error: unknown): void {
    this.state.fail(error);
    this.#queued = 0;
    const drain = this.#drain;
    const closing = this.#closing;
    this.#drain = undefined;
    this.#closing = undefined;
    drain?.reject(error);
    closing?.reject(error);
    if (!this.#finished) {
      try {
        this.#controller.error(error);
      } catch {
        // Already errored.
      }
    }
    this.#watcher?.error(error);
  }
}
