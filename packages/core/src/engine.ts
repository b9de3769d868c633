/**
 * One splice from start to result: locks, the signal, the path that moves
 * the bytes (the stream pump, or an adapter's direct dispatch), and the
 * ending policy of docs/contract.md#how-a-splice-ends, shared by both paths.
 */
import { SpliceController, type SpliceEvent, type StopReason } from './controller.ts';
import { matchDirectProvider, type DirectSpliceEnd, type DirectSpliceRun } from './direct.ts';
import { pumpStreams } from './stream-pump.ts';
import { datagramMark } from './datagram.ts';
import type { NormalizedOptions } from './validate.ts';
import type { SpliceReason, SpliceResult } from './types.ts';

const noop = (): void => {};

/** The running state of one splice; `Splice` is its public face. */
export class SpliceRun {
  readonly ctl: SpliceController;
  readonly options: NormalizedOptions;
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  reader: ReadableStreamDefaultReader<Uint8Array> | ReadableStreamBYOBReader | undefined;
  writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  readonly done: Promise<SpliceResult>;
  /** Set once an ending is decided; the paths stop moving bytes from then on. */
  ended = false;
  /**
   * The bytes an error ending counts, from the stream path (issue 16):
   * handed to the writable and kept there, or, when the splice aborts it
   * (`aborting`), those that reached its sink. Unset on the direct path,
   * whose provider counts what it sent.
   */
  deliveredBytes: ((aborting: boolean) => number) | undefined;
  /** Called by the controller's `stop` event: interrupts whatever the path waits on. */
  interrupt: (reason: StopReason) => void = noop;
  /**
   * Told once, synchronously, when this splice's ending is decided, before
   * the streams are touched (a linked pair ends its other direction here:
   * docs/contract.md#linked-pairs, ./linked.ts).
   */
  onEnding: ((reason: SpliceReason) => void) | undefined;
  #result: SpliceResult | undefined;
  #resolve!: (result: SpliceResult) => void;
  #closingWriter = false;
  #direct: DirectSpliceRun | undefined;
  /** While a provider's `splice()` runs, events it causes wait here. */
  #starting = false;
  #early: SpliceEvent | undefined;

  constructor(readable: ReadableStream<Uint8Array>, writable: WritableStream<Uint8Array>, options: NormalizedOptions) {
    this.readable = readable;
    this.writable = writable;
    this.options = options;
    this.ctl = new SpliceController(options, this.#onEvent);
    this.done = new Promise((resolve) => (this.#resolve = resolve));
  }

  get result(): SpliceResult | undefined {
    return this.#result;
  }

  /** Whether an adapter's direct dispatch runs this splice (diagnostics read it right after start()). */
  get direct(): boolean {
    return this.#direct !== undefined;
  }

  /** Takes both locks and starts moving bytes. Arguments are validated already. */
  start(): void {
    const { signal } = this.options;
    if (signal?.aborted) {
      // docs/contract.md#starting-a-splice: an already-aborted signal leaves both streams untouched.
      this.#settle({ reason: 'unsplice', bytes: 0 });
      return;
    }
    signal?.addEventListener('abort', this.#onAbort);
    const match = matchDirectProvider(this.readable, this.writable);
    if (match !== undefined) {
      const reader = this.readable.getReader();
      const writer = this.writable.getWriter();
      this.reader = reader;
      this.writer = writer;
      // A drain that can take nothing now (closed: desiredSize 0; errored:
      // null; or full) goes to the stream path, which reports a closed or
      // failed drain the same way on every transport (issue 16).
      const run = (writer.desiredSize ?? 0) > 0 ? this.#dispatch(match, reader, writer) : undefined;
      if (run !== undefined) {
        this.#direct = run;
        this.ctl.start();
        // The provider may have delivered (or hit EOF) before it returned.
        if (this.#early !== undefined) this.#onEvent(this.#early);
        return;
      }
      // Declined: the stream path takes its own locks (a BYOB reader for max).
      reader.releaseLock();
      writer.releaseLock();
      this.reader = this.writer = undefined;
    }
    this.ctl.start();
    pumpStreams(this);
  }

  /** Offers the splice to the streams' direct provider; `undefined` if it declined. */
  #dispatch(
    match: { source: DirectSpliceEnd; drain: DirectSpliceEnd },
    reader: ReadableStreamDefaultReader<Uint8Array>,
    writer: WritableStreamDefaultWriter<Uint8Array>,
  ): DirectSpliceRun | undefined {
    this.#starting = true;
    try {
      return match.source.provider.splice({ ...match, reader, writer, control: this.ctl });
    } finally {
      this.#starting = false;
    }
  }

  /** `unsplice()`: docs/contract.md#unsplice. */
  unsplice(): Promise<SpliceResult> {
    if (this.#result !== undefined) return this.done;
    if (this.#closingWriter) {
      // docs/contract.md#unsplice: an unsplice during the EOF close resolves at once, still 'eof'; the close goes on.
      this.releaseWriter();
      this.#settle({ reason: 'eof', bytes: this.ctl.bytes });
    } else {
      this.ctl.stop('unsplice');
    }
    return this.done;
  }

  /** Ends with a stop reason: both streams released, open. */
  endWithStop(reason: StopReason, remainder?: Uint8Array): void {
    if (this.ended) return;
    this.ended = true;
    this.#ending(reason);
    this.releaseReader();
    this.releaseWriter();
    // docs/datagrams.md: a datagram that did not fit goes back to the front of a source that takes it back.
    const giveBack = remainder === undefined ? undefined : datagramMark(this.readable)?.unshift;
    if (giveBack !== undefined) {
      giveBack(remainder!);
      remainder = undefined;
    }
    const result: SpliceResult =
      remainder !== undefined && remainder.byteLength > 0 ? { reason, bytes: this.ctl.bytes, remainder } : { reason, bytes: this.ctl.bytes };
    this.#settle(result);
  }

  /** The source reached EOF: close the writable unless `preventClose` (docs/contract.md#how-a-splice-ends). */
  endWithEof(): void {
    if (this.ended) return;
    this.ended = true;
    this.#ending('eof');
    this.releaseReader();
    const writer = this.writer;
    if (this.options.preventClose || writer === undefined) {
      this.releaseWriter();
      this.#settle({ reason: 'eof', bytes: this.ctl.bytes });
      return;
    }
    // docs/contract.md#unsplice: 'eof' without preventClose waits for the close (flush, FIN).
    this.#closingWriter = true;
    this.ctl.close();
    writer.close().then(
      () => {
        this.releaseWriter();
        this.#settle({ reason: 'eof', bytes: this.ctl.bytes });
      },
      (error: unknown) => {
        this.releaseWriter();
        this.#settle({ reason: 'error', bytes: this.deliveredBytes?.(false) ?? this.ctl.bytes, error });
      },
    );
  }

  /**
   * A stream failed: propagate per `preventAbort` / `preventCancel` (docs/contract.md#how-a-splice-ends).
   * `remainder`: a chunk already taken from the source that the failed drain
   * can no longer take (only with `preventCancel`, where the source lives on).
   */
  endWithError(side: 'source' | 'drain', error: unknown, remainder?: Uint8Array): void {
    if (this.ended) return;
    this.ended = true;
    this.#ending('error');
    if (side === 'source' && !this.options.preventAbort) this.writer?.abort(error).catch(noop);
    if (side === 'drain' && !this.options.preventCancel) {
      // The reader may have been released already to interrupt a read.
      (this.reader ?? this.readable).cancel(error).catch(noop);
    }
    this.releaseReader();
    this.releaseWriter();
    const bytes = this.deliveredBytes?.(side === 'source' && !this.options.preventAbort) ?? this.ctl.bytes;
    const result: SpliceResult =
      remainder !== undefined && remainder.byteLength > 0 && this.options.preventCancel
        ? { reason: 'error', bytes, error, remainder }
        : { reason: 'error', bytes, error };
    this.#settle(result);
  }

  releaseReader(): void {
    const reader = this.reader;
    if (reader === undefined) return;
    this.reader = undefined;
    try {
      // Current spec: a pending read is rejected and its data stays queued.
      reader.releaseLock();
    } catch {
      // An older implementation refusing to release with a read pending; the
      // read will settle and the lock goes with the stream's end.
    }
  }

  releaseWriter(): void {
    const writer = this.writer;
    if (writer === undefined) return;
    this.writer = undefined;
    // Chunks already written stay queued and reach the sink (docs/contract.md#unsplice).
    writer.releaseLock();
  }

  #onAbort = (): void => {
    void this.unsplice();
  };

  #onEvent = (event: SpliceEvent): void => {
    if (this.#starting) {
      this.#early ??= event;
      return;
    }
    const direct = this.#direct;
    if (direct === undefined) {
      if (event.type === 'stop') this.interrupt(event.reason);
      return;
    }
    if (this.ended) return;
    // Direct path: stop the provider, then apply the same ending policy.
    this.#direct = undefined;
    this.#ending(event.type === 'stop' ? event.reason : event.type);
    const finish = (): void => {
      if (event.type === 'stop') this.endWithStop(event.reason);
      else if (event.type === 'eof') this.endWithEof();
      else this.endWithError(event.side, event.error);
    };
    let stopped: void | Promise<void>;
    try {
      stopped = direct.stop();
    } catch (error) {
      this.endWithError('source', error);
      return;
    }
    if (stopped === undefined) finish();
    else stopped.then(finish, (error: unknown) => this.endWithError('source', error));
  };

  #ending(reason: SpliceReason): void {
    const hook = this.onEnding;
    this.onEnding = undefined;
    hook?.(reason);
  }

  #settle(result: SpliceResult): void {
    if (this.#result !== undefined) return;
    this.ended = true;
    this.#result = result;
    this.ctl.close();
    this.options.signal?.removeEventListener('abort', this.#onAbort);
    this.#resolve(result);
  }
}
