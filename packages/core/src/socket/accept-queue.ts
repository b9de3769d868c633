/**
 * The accepted sockets of a listener as an async iterable, the same on every
 * runtime (docs/adapters.md#one-shape). The runtime's accept callback pushes;
 * `for await` takes them in order. Sockets accepted while nobody iterates
 * wait here (the runtime's own backlog is the bound before that).
 */
export class AcceptQueue<S> implements AsyncIterable<S> {
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
