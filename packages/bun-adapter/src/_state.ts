/**
 * Per-socket state: every Bun handler of an adapter socket dispatches here
 * (through `socket.data`), and the state either feeds the readable stream or
 * hands each chunk to a direct route into another socket (SPEC.md section 6).
 *
 * Read side: chunks from `data` go into a pending BYOB request when one is
 * waiting, else into `inbox`; the socket is paused while `inbox` holds
 * `highWaterMark` bytes or more. Write side: Bun's `write()` accepts part and
 * keeps nothing (RUNTIMES.md, Bun), so the unaccepted tail waits in `outbox`
 * and is written on `drain`, before anything newer.
 */
import type { BunSocket } from './_bun.js';
import { socketClosedError, writeEpipeError } from './errors.js';

/** Where a spliced source's data goes instead of the readable stream. */
export interface Route {
  /** A chunk from the socket. */
  onData(chunk: Uint8Array): void;
  /** Peer FIN (or a clean close) on the source. */
  onEnd(): void;
  /** The source failed. */
  onError(error: unknown): void;
  /** Whether the source socket should read from the kernel now. */
  wantsData(): boolean;
}

/** The side of a direct route that writes into this socket. */
export interface DrainOwner {
  /** `outbox` became empty. */
  onOutboxEmpty(): void;
  /** The drain failed. */
  onDrainError(error: unknown): void;
}

/** State shared by one socket's handlers, readable, writable and direct routes. */
export class SocketState {
  readonly socket: BunSocket<unknown>;
  readonly highWaterMark: number;
  // --- read side ---
  readonly inbox: Uint8Array[] = [];
  /** Bytes in `inbox`: read from the socket, not yet in the stream. */
  inboxBytes = 0;
  readEnded = false;
  readError: unknown = undefined;
  readFailed = false;
  streamClosed = false;
  rc: ReadableByteStreamController | undefined = undefined;
  route: Route | undefined = undefined;
  paused = false;
  // --- write side ---
  readonly outbox: Uint8Array[] = [];
  /** Bytes handed to this socket that Bun has not accepted yet. */
  outboxBytes = 0;
  writeEnded = false;
  writeError: unknown = undefined;
  writeFailed = false;
  /** A write found the connection gone before Bun reported it (see `writeEpipeError`). */
  writeLost = false;
  wc: WritableStreamDefaultController | undefined = undefined;
  drainOwner: DrainOwner | undefined = undefined;
  private emptyWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  // --- socket ---
  isClosed = false;
  private onClosed: (error?: unknown) => void;

  constructor(socket: BunSocket<unknown>, highWaterMark: number, onClosed: (error?: unknown) => void) {
    this.socket = socket;
    this.highWaterMark = highWaterMark;
    this.onClosed = onClosed;
  }

  // --- read side ---

  /** Bun `data` handler. */
  onData(chunk: Uint8Array): void {
    const route = this.route;
    if (route !== undefined) return route.onData(chunk);
    const request = this.inboxBytes === 0 ? this.rc?.byobRequest : null;
    if (request) {
      const view = request.view as Uint8Array;
      const n = Math.min(view.byteLength, chunk.byteLength);
      view.set(n === chunk.byteLength ? chunk : chunk.subarray(0, n));
      // The tail goes in before respond(): respond() may call pull() re-entrantly.
      if (n < chunk.byteLength) this.push(chunk.subarray(n));
      request.respond(n);
    } else {
      this.push(chunk);
    }
    if (this.inboxBytes >= this.highWaterMark && !this.paused) this.pause();
  }

  /** Appends to `inbox`. */
  push(chunk: Uint8Array): void {
    this.inbox.push(chunk);
    this.inboxBytes += chunk.byteLength;
  }

  /** Puts bytes back at the front of `inbox` (read past a budget). */
  unshift(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    this.inbox.unshift(chunk);
    this.inboxBytes += chunk.byteLength;
  }

  /**
   * The endpoint's `unshift()` (SPEC.md 6): `bytes` (checked, a private copy)
   * go first; a read left pending by a released reader is served with them.
   */
  putBack(bytes: Uint8Array): void {
    if (this.streamClosed) throw this.readFailed ? this.readError : socketClosedError();
    const rc = this.rc;
    const waiting = this.inboxBytes === 0 && this.route === undefined && rc?.byobRequest;
    this.unshift(bytes);
    if (waiting) this.pull(rc);
    else this.updateFlow();
  }

  /** Bytes a partial read left in the readable's own queue (highWaterMark 0: minus desiredSize). */
  get streamQueued(): number {
    return Math.max(0, -(this.rc?.desiredSize ?? 0));
  }

  /** Takes the first chunk of `inbox`. */
  shift(): Uint8Array | undefined {
    const chunk = this.inbox.shift();
    if (chunk !== undefined) this.inboxBytes -= chunk.byteLength;
    return chunk;
  }

  /** Readable `pull`: serve a BYOB request from `inbox`, never more than its view. */
  pull(rc: ReadableByteStreamController): void {
    if (this.route !== undefined) return;
    if (this.inboxBytes > 0) {
      const request = rc.byobRequest;
      if (request) {
        const view = request.view as Uint8Array;
        let filled = 0;
        while (filled < view.byteLength && this.inbox.length > 0) {
          const chunk = this.inbox[0]!;
          const n = Math.min(view.byteLength - filled, chunk.byteLength);
          view.set(n === chunk.byteLength ? chunk : chunk.subarray(0, n), filled);
          filled += n;
          this.inboxBytes -= n;
          if (n === chunk.byteLength) this.inbox.shift();
          else this.inbox[0] = chunk.subarray(n);
        }
        request.respond(filled);
      } else {
        rc.enqueue(this.shift()!.slice());
      }
    }
    if (this.inboxBytes === 0) {
      if (this.readFailed) return this.errorReadable(this.readError);
      if (this.readEnded) return this.closeReadable();
    }
    this.updateFlow();
  }

  /** Closes the readable stream once `inbox` is empty (the stream keeps its own queue). */
  closeReadable(): void {
    if (this.streamClosed || this.inboxBytes > 0) return;
    this.streamClosed = true;
    const rc = this.rc;
    if (rc === undefined) return;
    try {
      rc.close();
      // A pending BYOB read settles only through its request (RUNTIMES.md, Web Streams).
      rc.byobRequest?.respond(0);
    } catch {
      // Already closed or errored by the consumer (cancel): nothing left to settle.
    }
  }

  private errorReadable(error: unknown): void {
    if (this.streamClosed) return;
    this.streamClosed = true;
    try {
      this.rc?.error(error);
    } catch {
      // Already errored.
    }
  }

  /** Pauses or resumes kernel reads to match the current consumer. */
  updateFlow(): void {
    if (this.isClosed) return;
    const route = this.route;
    const want = route !== undefined ? route.wantsData() : !this.readEnded && this.inboxBytes < this.highWaterMark;
    if (want) {
      if (this.paused) this.resume();
    } else if (!this.paused) {
      this.pause();
    }
  }

  pause(): void {
    this.paused = true;
    if (!this.isClosed) this.socket.pause();
  }

  resume(): void {
    this.paused = false;
    if (!this.isClosed) this.socket.resume();
  }

  /** Bun `end` handler: the peer's FIN. Our write side stays open (`allowHalfOpen`). */
  onEnd(): void {
    if (this.readEnded) return;
    // After a lost write Bun reports the dead connection as a clean end: it is the write's error.
    if (this.writeLost) return this.onError(this.writeError);
    this.readEnded = true;
    this.closeReadable();
    this.route?.onEnd();
  }

  // --- write side ---

  /**
   * Hands `chunk` to the socket after whatever is still waiting. Returns
   * `true` when Bun took all of it now. Throws the write side's error.
   */
  send(chunk: Uint8Array): boolean {
    this.assertWritable();
    if (this.outboxBytes === 0) {
      const n = this.socket.write(chunk);
      if (n === chunk.byteLength) return true;
      if (n < 0) throw this.failWrite(this.lostError());
      if (n > 0) chunk = chunk.subarray(n);
    }
    this.outbox.push(chunk);
    this.outboxBytes += chunk.byteLength;
    return false;
  }

  /** Throws the write side's error once it failed or was shut down; a later `send()` would throw it too. */
  assertWritable(): void {
    if (this.writeFailed) throw this.writeError;
    if (this.writeEnded) throw socketClosedError();
  }

  /** Resolves once `outbox` is empty; rejects with the write side's error. */
  whenOutboxEmpty(): Promise<void> {
    if (this.writeFailed) return Promise.reject(this.writeError);
    if (this.outboxBytes === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.emptyWaiters.push({ resolve, reject }));
  }

  /** Bun `drain` handler: write the waiting tail, oldest first. */
  onDrain(): void {
    const outbox = this.outbox;
    while (outbox.length > 0) {
      const chunk = outbox[0]!;
      const n = this.socket.write(chunk);
      if (n < 0) {
        this.failWrite(this.lostError());
        return;
      }
      this.outboxBytes -= n;
      if (n < chunk.byteLength) {
        outbox[0] = chunk.subarray(n);
        return;
      }
      outbox.shift();
    }
    const waiters = this.emptyWaiters;
    if (waiters.length > 0) {
      this.emptyWaiters = [];
      for (const w of waiters) w.resolve();
    }
    this.drainOwner?.onOutboxEmpty();
  }

  /** FIN after everything handed over was written (`writable.close()`). */
  async shutdown(): Promise<void> {
    await this.whenOutboxEmpty();
    if (this.writeEnded) return;
    this.writeEnded = true;
    // shutdown() with no argument is SHUT_WR; end() would close both sides (RUNTIMES.md, Bun).
    if (!this.isClosed) this.socket.shutdown();
  }

  /** Why a write found the socket gone: closed by us, or lost to the peer. */
  private lostError(): unknown {
    if (this.isClosed) return socketClosedError();
    this.writeLost = true;
    return writeEpipeError();
  }

  private failWrite(error: unknown): unknown {
    if (this.writeFailed) return this.writeError;
    this.writeFailed = true;
    this.writeError = error;
    this.outbox.length = 0;
    this.outboxBytes = 0;
    const waiters = this.emptyWaiters;
    this.emptyWaiters = [];
    for (const w of waiters) w.reject(error);
    try {
      this.wc?.error(error);
    } catch {
      // Already errored or closed.
    }
    this.drainOwner?.onDrainError(error);
    return error;
  }

  // --- socket ---

  /** Bun `error` / `close(error)`: both directions fail with the runtime's error. */
  onError(error: unknown): void {
    if (!this.readFailed && !this.streamClosed) {
      this.readFailed = true;
      this.readError = error;
      this.inbox.length = 0;
      this.inboxBytes = 0;
      const route = this.route;
      if (route !== undefined) route.onError(error);
      this.errorReadable(error);
    }
    if (!this.writeEnded || this.outboxBytes > 0) this.failWrite(error);
  }

  /** Bun `close` handler. Without an error a close reads as EOF (Bun closes after both FINs without `end`). */
  onClose(error?: unknown): void {
    if (this.isClosed) return;
    if (error !== undefined && error !== null) this.onError(error);
    this.isClosed = true;
    this.onEnd();
    if (!this.writeEnded) this.failWrite(socketClosedError());
    this.onClosed(error ?? (this.writeLost ? this.writeError : undefined));
  }
}
