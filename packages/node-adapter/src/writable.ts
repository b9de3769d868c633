/**
 * The write side: a WritableStream counted in bytes over `socket.write()`,
 * honouring its return value and `'drain'` (docs/adapters.md). Written by hand
 * because `Duplex.toWeb` counts chunks, not bytes, and on Node 20 its
 * `close()` waits for the read side (docs/runtimes.md#node).
 * Node API: https://nodejs.org/api/stream.html#writablewritechunk-encoding-callback
 */
import { SocketClosedError } from '@sosplice/core/socket';
import type { NodeTransport } from './runtime.ts';

/** Told when the socket fails (or is closed) while a direct path writes to it. */
export interface WriteWatcher {
  error(error: unknown): void;
}

type Settle = { resolve(): void; reject(error: unknown): void };

/** A `TypeError` with a Node-style `code`, naming the argument and the value received. */
export function invalidArg(name: string, expected: string, value: unknown): TypeError {
  const received = value === null ? 'null' : typeof value === 'object' || typeof value === 'function' ? `an instance of ${(value as object).constructor?.name ?? typeof value}` : `${typeof value} (${String(value)})`;
  return Object.assign(new TypeError(`The "${name}" argument must be ${expected}. Received ${received}`), { code: 'ERR_INVALID_ARG_TYPE' });
}

const closedByClose = (): SocketClosedError => new SocketClosedError('The socket was closed by close()');

export class WriteSide {
  readonly stream: WritableStream<Uint8Array>;
  #controller!: WritableStreamDefaultController;
  #drain: Settle | undefined;
  #closing: Settle | undefined;
  #finished = false;
  #queued = 0;
  #watcher: WriteWatcher | undefined;
  /** Chunks the stream accepted, and chunks it handed to write(): what close() still owes the peer. */
  #accepted = 0;
  #written = 0;
  /** close() was called: the chunks accepted before it go out, then FIN. */
  #shut: { owed: number; done: boolean } | undefined;

  constructor(readonly transport: NodeTransport, readonly highWaterMark: number) {
    // This object is the underlying sink (start, write, close, abort
    // below): no closures per socket (see ./readable.ts). The socket's
    // events reach us through the shared listeners of ./runtime.ts.
    this.stream = new WritableStream<Uint8Array>(this as UnderlyingSink<Uint8Array>, {
      highWaterMark,
      size: (chunk) => {
        const n = (chunk as Uint8Array | undefined)?.byteLength ?? 0;
        // Writes after the end are refused without reaching write().
        if (this.writable && this.#shut === undefined) {
          this.#queued += n;
          this.#accepted++;
        }
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

  /** Underlying sink: FIN, a half-close: the peer can still answer (docs/adapters.md). */
  close(): Promise<void> {
    if (!this.writable) return Promise.reject(this.transport.closedError());
    return new Promise<void>((resolve, reject) => {
      this.#closing = { resolve, reject };
      this.transport.end();
    });
  }

  /** Underlying sink. */
  abort(reason: unknown): void {
    this.transport.destroy(reason);
  }

  /** Bytes accepted and not yet handed to the kernel. */
  get buffered(): number {
    return this.#queued + this.transport.writableLength;
  }

  /** The write side is still usable: not finished, not failed, not destroyed. */
  get writable(): boolean {
    return !this.#finished && this.transport.writable;
  }

  /** The socket is destroyed but has not reported why yet (its events come on the next tick). */
  get failurePending(): boolean {
    return this.transport.destroyed && !this.transport.failed && !this.#finished;
  }

  /** Registers a direct path to hear about failures of this socket; `undefined` when it lets go. */
  watch(watcher: WriteWatcher | undefined): void {
    this.#watcher = watcher;
    // A kernel run writes its last bytes right after letting go: the FIN follows them.
    if (watcher === undefined && this.#shut !== undefined) queueMicrotask(() => this.#finishShut());
  }

  /**
   * close() (docs/adapters.md#closing): a splice writing here ends (with a
   * SocketClosedError), the chunks the writable accepted before now still
   * go out, then FIN; later writes are refused.
   */
  shut(): void {
    if (this.#shut !== undefined) return;
    this.#shut = { owed: this.#accepted, done: false };
    this.#watcher?.error(closedByClose());
    this.#finishShut();
  }

  #finishShut(): void {
    const shut = this.#shut;
    if (shut === undefined || shut.done || this.#watcher !== undefined || this.#written < shut.owed) return;
    shut.done = true;
    if (this.writable) this.transport.end();
    // The bytes are Node's now, sent before the FIN: a write waiting for
    // 'drain' is done (Node emits no 'drain' once ending).
    this.onDrain();
    if (this.#closing === undefined && !this.#finished) this.#error(closedByClose());
  }

  #write(chunk: Uint8Array): void | Promise<void> {
    const n = (chunk as Uint8Array | undefined)?.byteLength;
    if (!(chunk instanceof Uint8Array) || n === undefined) throw invalidArg('chunk', 'a Uint8Array', chunk);
    this.#queued -= n;
    this.#written++;
    const shut = this.#shut;
    if (shut !== undefined && this.#written > shut.owed) throw closedByClose();
    if (n === 0) return void this.#finishShut();
    if (!this.writable) {
      // Destroyed with its 'error' / 'close' still to come: fail with that
      // error (the runtime's, e.g. ECONNRESET), not a generic one.
      if (this.failurePending) return new Promise<void>((resolve, reject) => (this.#drain = { resolve, reject }));
      throw this.transport.closedError();
    }
    // Node says "full" above its own 16 KiB mark; our queue is counted
    // against our high-water mark (docs/adapters.md), so wait for 'drain' only
    // once Node holds that much.
    const room = this.transport.send(chunk, this.highWaterMark);
    if (shut !== undefined) return void this.#finishShut();
    if (room) return;
    return new Promise<void>((resolve, reject) => {
      this.#drain = { resolve, reject };
    });
  }

  onDrain(): void {
    const drain = this.#drain;
    this.#drain = undefined;
    drain?.resolve();
  }

  onFinish(): void {
    this.#finished = true;
    this.#queued = 0;
    const closing = this.#closing;
    this.#closing = undefined;
    closing?.resolve();
  }

  onError(error: unknown): void {
    this.#fail(error);
  }

  onClose(): void {
    if (this.#finished) return;
    // Destroyed underneath an unfinished write side: a failure, unless close() ended it (its linger).
    if (!this.transport.closing) this.transport.fail(this.transport.closedError());
    this.#fail(this.transport.closedError());
  }

  #fail(error: unknown): void {
    this.#queued = 0;
    const drain = this.#drain;
    const closing = this.#closing;
    this.#drain = undefined;
    this.#closing = undefined;
    drain?.reject(error);
    closing?.reject(error);
    if (!this.#finished) this.#error(error);
    this.#watcher?.error(error);
  }

  #error(error: unknown): void {
    try {
      this.#controller.error(error);
    } catch {
      // Already errored.
    }
  }
}
