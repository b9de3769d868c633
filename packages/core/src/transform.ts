/**
 * `SpliceTransform`: the splice policy (max, idle, signal, counting) as a
 * `TransformStream`, for `pipeThrough` chains.
 *
 * It is the composable form, not the exact one: a transform cannot give
 * bytes back to its upstream source, so at `max` the part of a chunk past
 * the limit is kept in `result.remainder`, and ending the transform (max,
 * idle, unsplice) closes its readable side and errors its writable side, so
 * an upstream `pipeTo` cancels its source unless it was told `preventCancel`.
 * Use `spliceStreams` when the source must stay usable.
 */
import { SpliceController, type SpliceEvent } from './controller.js';
import { asyncDispose } from './splice.js';
import type { Splice, SpliceOptions, SpliceResult } from './types.js';
import { validateOptions } from './validate.js';

/** Options of `SpliceTransform`: the policy part of `SpliceOptions`. */
export type SpliceTransformOptions = Pick<SpliceOptions, 'max' | 'idle' | 'signal'>;


/**
 * A `TransformStream<Uint8Array, Uint8Array>` that counts the bytes passing
 * through it and ends at `max`, after `idle` ms without a chunk, or on
 * `signal` / `unsplice()`, with the same `Splice` handle as `spliceStreams`.
 *
 * @example
 * ```ts
 * const limit = new SpliceTransform({ max: 1024 });
 * await source.pipeThrough(limit).pipeTo(sink);
 * console.log((await limit.done).bytes); // 1024
 * ```
 */
export class SpliceTransform extends TransformStream<Uint8Array, Uint8Array> implements Splice {
  readonly #ctl: SpliceController;
  readonly #done: Promise<SpliceResult>;
  readonly #writable: WritableStream<Uint8Array>;

  constructor(options?: SpliceTransformOptions) {
    const { max, idle, signal } = validateOptions(options);
    let controller!: TransformStreamDefaultController<Uint8Array>;
    let remainder: Uint8Array | undefined;
    let resolve!: (result: SpliceResult) => void;
    const done = new Promise<SpliceResult>((r) => (resolve = r));
    let settled = false;
    const settle = (result: SpliceResult): void => {
      if (settled) return;
      settled = true;
      ctl.close();
      signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const onEvent = (event: SpliceEvent): void => {
      if (event.type !== 'stop') return;
      const result: SpliceResult =
        remainder !== undefined ? { reason: event.reason, bytes: ctl.bytes, remainder } : { reason: event.reason, bytes: ctl.bytes };
      try {
        controller.terminate();
      } catch {
        // Already closed or errored: the result stands.
      }
      settle(result);
    };
    const ctl = new SpliceController({ max, idle }, onEvent);
    const onAbort = (): void => void ctl.stop('unsplice');

    super({
      start(c) {
        controller = c;
        if (signal?.aborted) {
          ctl.stop('unsplice');
          return;
        }
        signal?.addEventListener('abort', onAbort);
        ctl.start();
      },
      transform(chunk) {
        if (ctl.stopReason !== undefined) return;
        const room = ctl.remaining;
        if (chunk.byteLength > room) {
          remainder = chunk.subarray(room);
          chunk = chunk.subarray(0, room);
        }
        if (chunk.byteLength === 0) return;
        controller.enqueue(chunk);
        ctl.count(chunk.byteLength);
      },
      flush() {
        settle({ reason: 'eof', bytes: ctl.bytes });
      },
      // Called when either side is cancelled or aborted (runtimes that lack
      // the hook settle `done` only on eof and stops).
      cancel(reason: unknown) {
        settle({ reason: 'error', bytes: ctl.bytes, error: reason });
      },
    } as Transformer<Uint8Array, Uint8Array>);
    this.#ctl = ctl;
    this.#done = done;
    this.#writable = watchedWritable(super.writable, (error) => settle({ reason: 'error', bytes: ctl.bytes, error }));
  }

  /**
   * The writable side, watched: browsers (Chromium 156, Firefox ESR 153) never
   * call a transformer's `cancel` hook, so an upstream abort or a downstream
   * cancel would leave `done` pending there without this.
   */
  override get writable(): WritableStream<Uint8Array> {
    return this.#writable;
  }

  get bytes(): number {
    return this.#ctl.bytes;
  }

  get done(): Promise<SpliceResult> {
    return this.#done;
  }

  unsplice(): Promise<SpliceResult> {
    this.#ctl.stop('unsplice');
    return this.#done;
  }

  async [asyncDispose](): Promise<void> {
    await this.unsplice();
  }
}

/**
 * A writable in front of `inner` that reports how the transform failed: an
 * abort from upstream (with its reason), or the inner writable erroring
 * because the readable side was cancelled. A settled `done` ignores a later
 * report, so the transform's own `terminate()` at a stop changes nothing.
 */
function watchedWritable(inner: WritableStream<Uint8Array>, failed: (error: unknown) => void): WritableStream<Uint8Array> {
  const writer = inner.getWriter();
  writer.closed.then(undefined, failed);
  return new WritableStream<Uint8Array>({
    write: (chunk) => writer.write(chunk),
    close: () => writer.close(),
    abort(reason) {
      failed(reason);
      return writer.abort(reason);
    },
  });
}
