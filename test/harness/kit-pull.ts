/**
 * A pull-based in-memory socket (reads and writes are promises, writes
 * partial, as Deno's `conn.read()` / `conn.write()`) under the kit's
 * `PullTransport`: the conformance suite runs on it to prove that a
 * pull-based runtime fits the kit's push model (test/conformance/kit.test.ts).
 */
import type { PullSocket } from '@sosplice/core/socket';
import type { Peer } from '../conformance/_harness';
import { concat } from './_util';

/** At most this many bytes per `write()`: every larger chunk is a partial write. */
const WRITE_SLICE = 1500;

// setImmediate runs after I/O without setTimeout's clamping; MessageChannel is a browser's macrotask.
export const macrotask: (callback: () => void) => void = (() => {
  const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
  if (immediate !== undefined) return (callback) => void immediate(callback);
  return (callback) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      callback();
    };
    channel.port2.postMessage(undefined);
  };
})();

const later = (): Promise<void> => new Promise((resolve) => macrotask(resolve));

export class PullMemorySocket implements PullSocket {
  // peer → endpoint
  #inbound: Uint8Array[] = [];
  #inboundBytes = 0;
  #fin = false;
  #readWaiter: (() => void) | undefined;
  #room: Array<() => void> = [];
  // endpoint → peer
  #parts: Uint8Array[] = [];
  #received = 0;
  #waiters: Array<{ n: number; resolve: () => void }> = [];
  #stalled: Promise<void> | undefined;
  #unstall: (() => void) | undefined;
  #failure: Error | undefined;
  #ended!: () => void;
  readonly #endedP = new Promise<void>((resolve) => (this.#ended = resolve));
  #aborted!: (reason: unknown) => void;
  readonly #abortedP = new Promise<unknown>((resolve) => (this.#aborted = resolve));

  constructor(readonly limit: number) {}

  // --- PullSocket ---
  async read(view: Uint8Array): Promise<number | null> {
    await later();
    while (this.#inbound.length === 0 && !this.#fin && this.#failure === undefined) await new Promise<void>((resolve) => (this.#readWaiter = resolve));
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#inbound.length === 0) return null;
    let n = 0;
    while (n < view.byteLength && this.#inbound.length > 0) {
      const head = this.#inbound[0]!;
      const take = Math.min(head.byteLength, view.byteLength - n);
      view.set(head.subarray(0, take), n);
      n += take;
      if (take === head.byteLength) this.#inbound.shift();
      else this.#inbound[0] = head.subarray(take);
    }
    this.#inboundBytes -= n;
    if (this.#inboundBytes < this.limit) this.#wake();
    return n;
  }
  async write(bytes: Uint8Array): Promise<number> {
    await later();
    while (this.#stalled !== undefined && this.#failure === undefined) await this.#stalled;
    if (this.#failure !== undefined) throw this.#failure;
    const n = Math.min(bytes.byteLength, WRITE_SLICE);
    this.#parts.push(bytes.slice(0, n));
    this.#received += n;
    this.#waiters = this.#waiters.filter((w) => (this.#received >= w.n ? (w.resolve(), false) : true));
    return n;
  }
  async closeWrite(): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure;
    this.#ended();
  }
  reset(reason: unknown): void {
    this.#failure ??= Object.assign(new Error('memory socket: destroyed'), { code: 'ERR_SOCKET_CLOSED' });
    this.#aborted(reason);
    this.#readWaiter?.();
    this.#unstall?.();
    this.#wake();
  }

  // --- the peer ---
  readonly peer: Peer = {
    write: async (bytes) => {
      this.#inbound.push(bytes.slice());
      this.#inboundBytes += bytes.byteLength;
      this.#readWaiter?.();
      while (this.#inboundBytes >= this.limit && this.#failure === undefined) await new Promise<void>((resolve) => this.#room.push(resolve));
    },
    end: async () => {
      this.#fin = true;
      this.#readWaiter?.();
    },
    reset: async () => {
      const error = Object.assign(new Error('memory socket: reset by peer'), { code: 'ECONNRESET' });
      this.#failure = error;
      this.#inbound = [];
      this.#inboundBytes = 0;
      this.#readWaiter?.();
      this.#unstall?.();
      this.#wake();
      return (e) => e === error;
    },
    received: () => concat(...this.#parts),
    receivedAtLeast: (n) => (this.#received >= n ? Promise.resolve() : new Promise<void>((resolve) => this.#waiters.push({ n, resolve }))),
    ended: () => this.#endedP,
    aborted: () => this.#abortedP,
    stall: () => {
      this.#stalled ??= new Promise<void>((resolve) => (this.#unstall = resolve));
    },
    resume: () => {
      const unstall = this.#unstall;
      this.#stalled = this.#unstall = undefined;
      unstall?.();
    },
  };

  #wake(): void {
    const room = this.#room;
    this.#room = [];
    for (const resolve of room) resolve();
  }
}
