/**
 * The read side of an adapter socket: `inbox` (bytes read from the socket
 * and not yet handed on) and the readable byte stream over it. The stream
 * has no queue of its own (`highWaterMark: 0`); `pull()` serves each request
 * from `inbox`, never more than the request's view, so a BYOB read of
 * `remaining` bytes takes exactly that many (docs/contract.md#max). While a
 * direct route holds the socket, its chunks go to the route instead.
 */
import { SocketClosedError } from '@sosplice/core/socket';
import type { BunSocket } from './runtime.ts';

/** Chunk size of reads from a default reader (`autoAllocateChunkSize`). */
const READ_CHUNK_SIZE = 65536;

/** Where a spliced source's data goes instead of the readable stream. */
export interface Route {
  /** A chunk from the socket. */
  onData(chunk: Uint8Array): void;
  /** Peer FIN (or a clean close) on the source. */
  onEnd(): void;
  /** The source failed (or was closed by `close()`). */
  onError(error: unknown): void;
  /** Whether the source socket should read from the kernel now. */
  wantsData(): boolean;
}

export abstract class ReadSide {
  readonly inbox: Uint8Array[] = [];
  /** Bytes in `inbox`: read from the socket, not yet in the stream. */
  inboxBytes = 0;
  readEnded = false;
  readError: unknown = undefined;
  readFailed = false;
  /** `close()` was called: what still arrives is read (to see the peer's FIN) and dropped. */
  readStopped = false;
  streamClosed = false;
  rc: ReadableByteStreamController | undefined = undefined;
  route: Route | undefined = undefined;
  paused = false;
  isClosed = false;

  constructor(
    readonly socket: BunSocket,
    readonly highWaterMark: number,
  ) {}

  abstract pause(): void;
  abstract resume(): void;

  /** Bun `data`. */
  onData(chunk: Uint8Array): void {
    if (this.readStopped) return;
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
    if (this.readStopped) return;
    this.inbox.push(chunk);
    this.inboxBytes += chunk.byteLength;
  }

  /** Puts bytes back at the front of `inbox` (read past a budget, or left by a stopped run). */
  unshift(chunk: Uint8Array): void {
    if (chunk.byteLength === 0 || this.readStopped) return;
    this.inbox.unshift(chunk);
    this.inboxBytes += chunk.byteLength;
  }

  /**
   * The endpoint's `unshift()` (docs/contract.md#header-then-splice): `bytes` (checked, a private copy)
   * go first; a read left pending by a released reader is served with them.
   */
  putBack(bytes: Uint8Array): void {
    if (this.streamClosed) throw this.readFailed ? this.readError : new SocketClosedError();
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
      // A pending BYOB read settles only through its request (docs/runtimes.md#web-streams-everywhere).
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
    const want = this.readStopped || (route !== undefined ? route.wantsData() : !this.readEnded && this.inboxBytes < this.highWaterMark);
    if (want) {
      if (this.paused) this.resume();
    } else if (!this.paused) {
      this.pause();
    }
  }

  /** The peer's FIN. */
  endRead(): void {
    if (this.readEnded) return;
    this.readEnded = true;
    this.closeReadable();
    this.route?.onEnd();
  }

  /** The read side fails with `error`: the route and the stream learn it; `inbox` is dropped. */
  failRead(error: unknown): void {
    if (this.readFailed || this.streamClosed) return;
    this.readFailed = true;
    this.readError = error;
    this.inbox.length = 0;
    this.inboxBytes = 0;
    this.route?.onError(error);
    this.errorReadable(error);
  }

  /**
   * `close()`: nothing more is delivered (a read or a splice from here fails
   * with `error`), and what still arrives is read and dropped, so that the
   * peer's FIN is seen and the kernel closes without an RST for unread bytes.
   */
  stopReading(error: SocketClosedError): void {
    if (this.readEnded && this.inboxBytes === 0) this.readStopped = true;
    else {
      this.failRead(error);
      this.readStopped = true;
    }
    this.inbox.length = 0;
    this.inboxBytes = 0;
    this.updateFlow();
  }
}

/** The readable byte stream of `side`; `cancel()` destroys the socket (docs/adapters.md). */
export function createReadable(side: ReadSide, destroy: () => void): ReadableStream<Uint8Array> {
  return new ReadableStream(
    {
      type: 'bytes',
      autoAllocateChunkSize: READ_CHUNK_SIZE,
      start(controller) {
        side.rc = controller;
        // Created after the read side ended (streams are made on first access): it starts ended.
        if (side.streamClosed && side.readFailed) controller.error(side.readError);
        else if (side.streamClosed) controller.close();
      },
      pull(controller) {
        side.pull(controller);
      },
      cancel() {
        side.streamClosed = true;
        side.inbox.length = 0;
        side.inboxBytes = 0;
        destroy();
      },
    },
    { highWaterMark: 0 },
  ) as ReadableStream<Uint8Array>;
}
