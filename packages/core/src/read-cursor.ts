/**
 * How `readUntil()` and `readExactly()` (./read-until.ts) read an endpoint:
 * through the byte lease it lends (`byteLease`, ./unshift.ts: no stream is
 * created, locked or read, which is what makes a head per request cheap),
 * or else through a reader of its readable, giving back with `unshift()`.
 * Either way the side is held from `openCursor()` to `end()`, and `end(rest)`
 * puts `rest` back in front.
 */
import { byteLease, type ByteLease, type ByteLendingEndpoint, type UnshiftableEndpoint } from './unshift.ts';

export interface ReadCursor {
  /** The next chunk (the caller owns it), `null` at EOF. Rejects with the stream's error or the signal's reason. */
  next(): Promise<Uint8Array | null>;
  /** Lets the side go, with `rest` back in front of it. Called once. */
  end(rest?: Uint8Array): void;
}

export function openCursor(source: UnshiftableEndpoint, signal: AbortSignal | undefined): ReadCursor {
  const lend = (source as ByteLendingEndpoint)[byteLease];
  const lease = typeof lend === 'function' ? lend.call(source) : undefined;
  return lease !== undefined ? new LeaseCursor(lease, signal) : new StreamCursor(source, signal);
}

class LeaseCursor implements ReadCursor {
  readonly #lease: ByteLease;
  readonly #signal: AbortSignal | undefined;

  constructor(lease: ByteLease, signal: AbortSignal | undefined) {
    this.#lease = lease;
    this.#signal = signal;
  }

  async next(): Promise<Uint8Array | null> {
    for (;;) {
      const chunk = this.#lease.take();
      if (chunk !== undefined) return chunk;
      await (this.#signal === undefined ? this.#lease.wait() : untilAborted(this.#lease.wait(), this.#signal));
    }
  }

  end(rest?: Uint8Array): void {
    this.#lease.release(rest);
  }
}

/** Resolves with `promise`, or rejects with the signal's reason once it aborts. */
function untilAborted(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    void promise.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

class StreamCursor implements ReadCursor {
  readonly #source: UnshiftableEndpoint;
  readonly #signal: AbortSignal | undefined;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #onAbort: () => void;

  constructor(source: UnshiftableEndpoint, signal: AbortSignal | undefined) {
    this.#source = source;
    this.#signal = signal;
    const reader = source.readable.getReader();
    this.#reader = reader;
    // Releasing the lock is what stops a pending read.
    this.#onAbort = () => release(reader);
    signal?.addEventListener('abort', this.#onAbort);
  }

  async next(): Promise<Uint8Array | null> {
    try {
      const { done, value } = await this.#reader.read();
      return done ? null : value;
    } catch (error) {
      if (this.#signal?.aborted) throw this.#signal.reason;
      throw error;
    }
  }

  end(rest?: Uint8Array): void {
    this.#signal?.removeEventListener('abort', this.#onAbort);
    // unshift() refuses a locked readable: release first.
    release(this.#reader);
    if (rest !== undefined && rest.byteLength > 0) this.#source.unshift(rest);
  }
}

function release(reader: ReadableStreamDefaultReader<Uint8Array>): void {
  try {
    reader.releaseLock();
  } catch {
    // Released already (the signal's abort).
  }
}
