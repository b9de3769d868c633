/**
 * One splice run by the addon's splice thread: started on two kernel fds,
 * ended by the thread (EOF, budget, an error) or by `stop()`. An adapter's
 * direct provider drives it (see the adapters' `kernel.ts`): it hands over
 * the fds once the runtime stopped reading the source and flushed the drain,
 * and takes back the runtime's sockets, and any leftover bytes, at the end.
 */
import type { SpliceControl } from '@sosplice/core';
import type { Addon, AddonResult } from './_addon.ts';

/** How a kernel splice ended. */
export type KernelEnd = 'eof' | 'max' | 'stopped' | 'source-error' | 'drain-error';

/** The outcome of a kernel splice, once the thread let go of both fds. */
export interface KernelOutcome {
  readonly end: KernelEnd;
  /**
   * Bytes taken from the source that the drain did not take in time (a
   * stalled or failed drain): the adapter queues them on the drain, or puts
   * them back at the front of the source when the drain failed.
   */
  readonly leftover: Uint8Array | undefined;
  /** The errno as a coded error (`code: 'ECONNRESET'`), for the two error ends. */
  readonly error: Error | undefined;
}

const ENDS: Record<AddonResult['end'], KernelEnd> = { 1: 'eof', 2: 'max', 3: 'stopped', 4: 'source-error', 5: 'drain-error' };

export class KernelSplice {
  /** Resolves once the thread let go of both fds; never rejects. */
  readonly outcome: Promise<KernelOutcome>;
  readonly #addon: Addon;
  readonly #id: number;
  readonly #control: SpliceControl;
  #detachLive: (() => void) | undefined;
  #final: number | undefined;
  #resolve!: (outcome: KernelOutcome) => void;
  #stopped = false;

  /** Use `startKernelSplice()`: it registers the run for the addon's events. */
  constructor(addon: Addon, sourceFd: number, drainFd: number, control: SpliceControl) {
    this.#addon = addon;
    this.#control = control;
    this.outcome = new Promise((resolve) => (this.#resolve = resolve));
    // docs/contract.md#max: the thread never takes more than the remaining budget from the source.
    const budget = control.remaining === Number.POSITIVE_INFINITY ? -1 : control.remaining;
    this.#id = addon.start(sourceFd, drainFd, budget);
    this.#detachLive = control.liveProgress({
      delivered: () => this.#final ?? addon.progress(this.#id, 0),
      quietMs: () => (this.#final === undefined ? addon.progress(this.#id, 1) : 0),
    });
  }

  get id(): number {
    return this.#id;
  }

  /** Asks the thread to end the splice; `outcome` says how it ended (maybe not 'stopped'). */
  stop(): Promise<KernelOutcome> {
    if (!this.#stopped && this.#final === undefined) {
      this.#stopped = true;
      this.#addon.stop(this.#id);
    }
    return this.outcome;
  }

  /**
   * Once ended: counts the bytes the thread delivered, plus `handedOver`
   * leftover bytes the adapter is handing to the drain, in one `count()`,
   * and gives the controller its own getters back. Counting may end the
   * splice at once (max), so the adapter calls this after it took its
   * sockets back and right before it writes the leftover (docs/contract.md#counting).
   */
  commit(handedOver = 0): void {
    const detach = this.#detachLive;
    if (detach === undefined || this.#final === undefined) return;
    this.#detachLive = undefined;
    detach();
    const n = this.#final + handedOver;
    if (n > 0) this.#control.count(n);
  }

  /** @internal The thread published the end of this splice. */
  ended(): void {
    const r = this.#addon.finish(this.#id);
    this.#final = r.delivered;
    const error = r.code === undefined ? undefined : Object.assign(new Error(`splice ${r.code}: ${r.message}`), { code: r.code, errno: r.errno, syscall: 'splice' });
    this.#resolve({
      end: ENDS[r.end],
      leftover: r.leftover === undefined ? undefined : new Uint8Array(r.leftover),
      error,
    });
  }
}
