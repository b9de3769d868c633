/**
 * What a splice holds of its two sides (docs/contract.md#starting-a-splice:
 * both locked for the whole splice): a reader and a writer on the streams,
 * or, between two lazy endpoints of one provider, two leases (SPEC 6.2).
 * The ending policy acts through whichever it holds; ./engine.ts decides
 * when.
 */
import type { DirectDrainLease, DirectSourceLease } from './direct.ts';

const noop = (): void => {};

export class SpliceHolds {
  /** The streams, once the splice runs on them (absent while it runs on endpoint leases). */
  readable: ReadableStream<Uint8Array> | undefined;
  writable: WritableStream<Uint8Array> | undefined;
  reader: ReadableStreamDefaultReader<Uint8Array> | ReadableStreamBYOBReader | undefined;
  writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  protected sourceLease: DirectSourceLease | undefined;
  protected drainLease: DirectDrainLease | undefined;

  /** Whether the drain is held (so it can be closed at EOF). */
  protected get holdsDrain(): boolean {
    return this.writer !== undefined || this.drainLease !== undefined;
  }

  /** As `writer.close()`: FIN after everything queued. */
  protected closeDrain(): Promise<void> {
    return this.drainLease !== undefined ? this.drainLease.close() : this.writer!.close();
  }

  /** As `writer.abort(error)`: the source failed. */
  protected abortDrain(error: unknown): void {
    if (this.drainLease !== undefined) this.drainLease.abort(error);
    else this.writer?.abort(error).catch(noop);
  }

  /** As `readable.cancel(error)`: the drain failed. */
  protected cancelSource(error: unknown): void {
    if (this.sourceLease !== undefined) this.sourceLease.cancel(error);
    // The reader may have been released already to interrupt a read.
    else (this.reader ?? this.readable)?.cancel(error).catch(noop);
  }

  protected releaseSource(): void {
    const lease = this.sourceLease;
    this.sourceLease = undefined;
    lease?.release();
    this.releaseReader();
  }

  protected releaseDrain(): void {
    const lease = this.drainLease;
    this.drainLease = undefined;
    lease?.release();
    this.releaseWriter();
  }

  /** Lets go of the source's reader (the stream pump also does, to interrupt a pending read). */
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

  /** Lets go of the drain's writer (the stream pump also does, to interrupt a wait for room). */
  releaseWriter(): void {
    const writer = this.writer;
    if (writer === undefined) return;
    this.writer = undefined;
    // Chunks already written stay queued and reach the sink (docs/contract.md#unsplice).
    writer.releaseLock();
  }
}
