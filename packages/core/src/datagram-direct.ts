/**
 * The direct path between two datagram endpoints (docs/contract.md#direct-dispatch, docs/datagrams.md): the
 * source socket's receive callback sends straight into the drain socket, no
 * Web Streams in between. One provider serves every adapter's datagram
 * endpoints, since they differ only in their transport (./datagram-endpoint.ts).
 *
 * Order: datagrams written to the drain before the splice are sent first
 * (the run starts once they settled), then those queued in the source, then
 * live ones. One send is in flight at a time (a runtime whose send is
 * synchronous, as Bun's, never waits): datagrams arriving meanwhile wait in
 * the run, in order, within the source's `queueLimit` (more are dropped and
 * counted in its `dropped`), and go back to the front of the source if the
 * splice ends first. So a send that fails (`EMSGSIZE`) ends the splice with
 * 'error' before anything after it is sent, and only what was sent is
 * counted. `max`: a datagram that does not fit in the budget goes back to the
 * front of the source and the splice ends with 'max'.
 */
import type { DirectSpliceEnd, DirectSpliceProvider, DirectSpliceRun, SpliceControl } from './direct.ts';
import type { DatagramTransport } from './datagram-options.ts';

/** What the direct path uses of a datagram endpoint (./datagram-endpoint.ts), declared here so the two files do not import each other. */
interface DatagramEndpoint {
  readonly transport: DatagramTransport;
  readonly queueLimit: number;
  dropped: number;
  divert: ((datagram: Uint8Array) => void) | undefined;
  onClose: (() => void) | undefined;
  take(): Uint8Array | undefined;
  putBack(datagram: Uint8Array): void;
  whenWritesSettled(callback: () => void): void;
  releaseStream(): boolean;
}

type DatagramEnd = DirectSpliceEnd & { readonly endpoint?: DatagramEndpoint };

class DatagramDirectRun implements DirectSpliceRun {
  readonly #source: DatagramEndpoint;
  readonly #drain: DatagramEndpoint;
  readonly #control: SpliceControl;
  #stopped = false;
  #failed = false;
  /** A datagram did not fit: ends with 'max' once the sends in flight settled. */
  #full = false;
  #inflight = false;
  /** Arrived while a send was in flight, oldest first. */
  #waiting: Uint8Array[] = [];
  #waitHead = 0;
  #settled: (() => void) | undefined;
  /** Size of the one send in flight, for the callback form. */
  #sending = 0;
  readonly #afterSend = (error?: unknown): void => this.#done(this.#sending, error, error === undefined || error === null);

  constructor(source: DatagramEndpoint, drain: DatagramEndpoint, control: SpliceControl) {
    this.#source = source;
    this.#drain = drain;
    this.#control = control;
    // A source closed under the splice is its end (no datagram is lost: the queue was taken first).
    source.onClose = () => control.sourceEnded();
    drain.whenWritesSettled(() => this.#begin());
  }

  stop(): void | Promise<void> {
    this.#stopped = true;
    this.#source.divert = undefined;
    this.#source.onClose = undefined;
    if (!this.#inflight) return this.#giveBackWaiting();
    return new Promise((resolve) => (this.#settled = resolve));
  }

  /** Datagrams still waiting go back to the front of the source, in order. */
  #giveBackWaiting(): void {
    const waiting = this.#waiting;
    for (let i = waiting.length - 1; i >= this.#waitHead; i--) this.#source.putBack(waiting[i]!);
    this.#waiting = [];
    this.#waitHead = 0;
  }

  #arrive(datagram: Uint8Array): void {
    if (!this.#inflight) return this.#forward(datagram);
    if (this.#waiting.length - this.#waitHead >= this.#source.queueLimit) {
      this.#source.dropped++;
      return;
    }
    this.#waiting.push(datagram);
  }

  #begin(): void {
    if (!this.#stopped) this.#next();
  }

  /**
   * Sends the next datagram: one that waited in the run, else one the source
   * queued (arrivals queue there until it is empty), else takes live ones.
   */
  #next(): void {
    const next = this.#waitHead < this.#waiting.length ? this.#shiftWaiting() : this.#source.divert === undefined ? this.#source.take() : undefined;
    if (next !== undefined) this.#forward(next);
    else this.#source.divert ??= (datagram) => this.#arrive(datagram);
  }

  #forward(datagram: Uint8Array): void {
    const n = datagram.byteLength;
    if (n > this.#control.remaining) {
      // Never split (docs/datagrams.md): it stays first in the source.
      this.#source.putBack(datagram);
      this.#full = true;
      this.#source.divert = undefined;
      this.#control.maxReached();
      return;
    }
    this.#inflight = true;
    const transport = this.#drain.transport;
    if (transport.sendWithCallback !== undefined) {
      this.#sending = n;
      try {
        return transport.sendWithCallback(datagram, this.#afterSend);
      } catch (error) {
        return this.#done(n, error);
      }
    }
    let sending: Promise<void> | void;
    try {
      sending = transport.send(datagram);
    } catch (error) {
      return this.#done(n, error);
    }
    if (sending === undefined) this.#done(n, undefined, true);
    else sending.then(() => this.#done(n, undefined, true), (error: unknown) => this.#done(n, error));
  }

  #done(n: number, error: unknown, sent = false): void {
    this.#inflight = false;
    if (!sent) {
      this.#failed = true;
      this.#source.divert = undefined;
      this.#control.drainErrored(error);
    } else this.#control.count(n);
    const settled = this.#settled;
    if (settled !== undefined) {
      this.#settled = undefined;
      this.#giveBackWaiting();
      return settled();
    }
    if (!this.#stopped && !this.#failed && !this.#full) this.#next();
  }

  #shiftWaiting(): Uint8Array {
    const datagram = this.#waiting[this.#waitHead]!;
    this.#waiting[this.#waitHead++] = undefined as never;
    if (this.#waitHead === this.#waiting.length) {
      this.#waiting.length = 0;
      this.#waitHead = 0;
    }
    return datagram;
  }
}

/** Takes over a splice between two datagram endpoints; declines anything else. */
export const datagramDirectProvider: DirectSpliceProvider = {
  splice(task) {
    const source = (task.source as DatagramEnd).endpoint;
    const drain = (task.drain as DatagramEnd).endpoint;
    if (source === undefined || drain === undefined || !drain.transport.connected()) return undefined;
    // Chunks already in the readable's own queue: the stream path reads them in order.
    if (!source.releaseStream()) return undefined;
    return new DatagramDirectRun(source, drain, task.control);
  },
};
