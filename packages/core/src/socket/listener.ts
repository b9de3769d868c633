/**
 * What every adapter's `listen()` resolves to (docs/adapters.md#one-shape):
 * the accepted sockets in order as an async iterable, the bound address, and
 * a `close()` that stops accepting, leaves the sockets accepted already open
 * and never rejects. An adapter subclasses it with its runtime's way to stop
 * accepting, and calls `accepted()` for each socket.
 */
import type { SpliceListener } from './types.ts';

/** A socket accepted after `close()` is nobody's: it is closed (FIN, then the linger). */
const closeLate = (socket: { close(): Promise<void> }): void => void socket.close();

export abstract class SocketListener<S extends { close(): Promise<void> }> implements SpliceListener<S> {
  /** `"host:port"` with the port really bound, or the Unix path. */
  address: string;
  /** The bound port; `null` for a Unix socket. */
  port: number | null;
  readonly #queue: AcceptQueue<S> = new AcceptQueue<S>();
  #closing: Promise<void> | undefined;

  protected constructor(address: string, port: number | null) {
    this.address = address;
    this.port = port;
  }

  /** Stops the runtime's accepting; may resolve once the port is released. */
  protected abstract stopAccepting(): void | Promise<void>;

  /** Hands out an accepted socket, in order. */
  protected accepted(socket: S): void {
    this.#queue.push(socket, closeLate);
  }

  /** The runtime's accepting ended by itself (its listener closed underneath): iteration ends. */
  protected ended(): void {
    this.#queue.end();
  }

  /** Whether `close()` was called. */
  protected get closing(): boolean {
    return this.#closing !== undefined;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#queue.end();
      try {
        await this.stopAccepting();
      } catch {
        // Closed already: accepting is over either way.
      }
    })();
    return this.#closing;
  }

  [Symbol.asyncIterator](): AsyncIterator<S> {
    return this.#queue[Symbol.asyncIterator]();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** The accepted sockets as an async iterable: the accept callback pushes, `for await` takes them in order. */
class AcceptQueue<S> implements AsyncIterable<S> {
  readonly #ready: S[] = [];
  readonly #waiting: Array<(result: IteratorResult<S>) => void> = [];
  #ended = false;

  /** A socket was accepted. After `end()`, `onLate` gets it (to close it). */
  push(socket: S, onLate: (socket: S) => void): void {
    if (this.#ended) return onLate(socket);
    const next = this.#waiting.shift();
    if (next === undefined) this.#ready.push(socket);
    else next({ value: socket, done: false });
  }

  /** The listener closed: iteration ends once the sockets already accepted were taken. */
  end(): void {
    this.#ended = true;
    for (const next of this.#waiting.splice(0)) next({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<S> {
    return {
      next: () => {
        if (this.#ready.length > 0) return Promise.resolve({ value: this.#ready.shift()!, done: false });
        if (this.#ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => this.#waiting.push(resolve));
      },
      // Leaving a `for await` loop stops iterating, not the listener: close() does that.
      return: () => Promise.resolve({ value: undefined, done: true }),
    };
  }
}
