/**
 * `@sosplice/native`: the kernel path (docs/contract.md#the-kernel-path). Linux `splice(2)`
 * on splice threads, for adapter sockets backed by a kernel fd (TCP and Unix
 * stream sockets without TLS), so spliced bytes never enter JavaScript.
 *
 * Applications only read the status and flip the switches; the adapters
 * (`@sosplice/node-adapter`, `@sosplice/bun-adapter`) use the kernel path on
 * their own whenever both ends of a splice qualify and it is enabled.
 */
import { directSplice, type DirectSpliceCapable, type DirectSpliceEnd, type SpliceControl } from '@sosplice/core';
import { loadAddon, type Addon } from './_addon.ts';
import { KernelSplice } from './kernel-splice.ts';

export { KernelSplice, type KernelEnd, type KernelOutcome } from './kernel-splice.ts';
export { KernelHandover, nextPoll, type Interruption } from './handover.ts';

/** What `nativeStatus()` reports. */
export interface NativeStatus {
  /** The addon is loaded and working on this platform. */
  readonly available: boolean;
  /** `setNativeEnabled()` has not turned it off for the process. */
  readonly enabled: boolean;
  /** Why it is (not) available: the backend in use, or what is missing. */
  readonly reason: string;
}

/** Figures for tests, benchmarks and the curious. */
export interface NativeStats {
  /** Splice threads alive (at most one per core; ended about a second after the last splice). */
  readonly threads: number;
  /** Kernel splices running. */
  readonly active: number;
  /** Pipes open, in use or pooled (a splice holds one only while bytes are on their way). */
  readonly pipes: number;
  /** Kernel splices started since the process began. */
  readonly started: number;
}

/** Something with streams, such as an adapter endpoint. */
export interface StreamPair {
  readonly readable: object;
  readonly writable: object;
}

const REAP_AFTER_MS = 1000;

/**
 * Bytes a splice moves on the adapter's JS direct path before it is handed
 * to the kernel path. A hand-over (two fd checks, the drain flushed, the
 * source's buffers collected, a thread woken) costs about as much CPU as
 * moving 60 KiB (Node) to 110 KiB (Bun) through the JS direct path
 * (bench/README.md, issue 10), so a connection that carries less never pays
 * for it, and one that carries more moves the rest outside JavaScript.
 */
export const KERNEL_AFTER_DEFAULT = 64 * 1024;

/**
 * One state per process, whatever the number of copies of this module: the
 * addon can be initialised once per environment, and a runtime that keeps
 * symlinked paths apart (Bun, with pnpm's links) may load this file twice.
 */
interface Shared {
  readonly runs: Map<number, KernelSplice>;
  readonly loaded: ReturnType<typeof loadAddon>;
  readonly off: WeakSet<object>;
  enabled: boolean;
  /** See setKernelAfter(). */
  after: number;
  reapTimer: ReturnType<typeof setTimeout> | undefined;
}

const KEY = Symbol.for('sosplice.native');

function createShared(): Shared {
  const runs = new Map<number, KernelSplice>();
  const shared: Shared = { runs, loaded: loadAddon(() => onEvents(shared)), off: new WeakSet(), enabled: true, after: KERNEL_AFTER_DEFAULT, reapTimer: undefined };
  return shared;
}

const shared: Shared = ((globalThis as Record<symbol, Shared | undefined>)[KEY] ??= createShared());
const addon: Addon | undefined = shared.loaded.addon;

/** The addon's threads tell us which splices ended. */
function onEvents(state: Shared): void {
  for (const id of state.loaded.addon?.events() ?? []) {
    const run = state.runs.get(id);
    if (run === undefined) continue;
    state.runs.delete(id);
    run.ended();
  }
  if (state.runs.size === 0) scheduleReap(state);
}

/** Splice threads with nothing to do end a little later; the timer never holds the process open. */
function scheduleReap(state: Shared): void {
  const addon = state.loaded.addon;
  if (state.reapTimer !== undefined || addon === undefined) return;
  state.reapTimer = setTimeout(() => {
    state.reapTimer = undefined;
    if (state.runs.size === 0) addon.reap();
  }, REAP_AFTER_MS);
  (state.reapTimer as { unref?: () => void }).unref?.();
}

/** Whether the kernel path is available, enabled, and why (not). */
export function nativeStatus(): NativeStatus {
  return { available: addon !== undefined, enabled: shared.enabled, reason: shared.loaded.reason };
}

/**
 * Turns the kernel path on or off: for the whole process, or, given an
 * endpoint (anything with `readable` and `writable`), for every splice from
 * or into that endpoint. Off means the adapter's own direct path runs.
 * `SOSPLICE_NATIVE=0` in the environment turns it off before anything loads.
 */
export function setNativeEnabled(value: boolean, endpoint?: StreamPair): void {
  if (typeof value !== 'boolean') {
    throw Object.assign(new TypeError(`The "value" argument must be of type boolean. Received ${String(value)}`), { code: 'ERR_INVALID_ARG_TYPE' });
  }
  if (endpoint === undefined) {
    shared.enabled = value;
    return;
  }
  if (typeof endpoint !== 'object' || endpoint === null) {
    throw Object.assign(new TypeError(`The "endpoint" argument must be an object with readable and writable. Received ${String(endpoint)}`), {
      code: 'ERR_INVALID_ARG_TYPE',
    });
  }
  // The adapters ask by the mark on the streams (the core's directSplice), which they see in a splice.
  // A lazy endpoint of the socket kit (@sosplice/core/socket) names its two
  // sides, which are its streams' marks, on its own mark: read there, so the
  // streams are not created for this.
  const mark = (endpoint as DirectSpliceCapable)[directSplice] as { read?: DirectSpliceEnd; write?: DirectSpliceEnd } | undefined;
  const ends = mark?.read !== undefined && mark.write !== undefined ? [mark.read, mark.write] : [endpoint.readable, endpoint.writable].map((stream) => (stream as DirectSpliceCapable)[directSplice]);
  for (const end of ends) {
    if (end === undefined) continue;
    if (value) shared.off.delete(end);
    else shared.off.add(end);
  }
}

/**
 * How many bytes a splice moves on the adapter's JS direct path before the
 * kernel path takes it (default {@link KERNEL_AFTER_DEFAULT}, 64 KiB): short
 * connections stay in JavaScript, where they cost less than the hand-over.
 * `0`: from the first byte. Applies to splices started afterwards, for the
 * whole process.
 */
export function setKernelAfter(bytes: number): void {
  if (typeof bytes !== 'number') {
    throw Object.assign(new TypeError(`The "bytes" argument must be of type number. Received ${String(bytes)}`), { code: 'ERR_INVALID_ARG_TYPE' });
  }
  if (!Number.isSafeInteger(bytes) || bytes < 0) {
    throw Object.assign(new RangeError(`The value of "bytes" is out of range. It must be an integer >= 0. Received ${String(bytes)}`), { code: 'ERR_OUT_OF_RANGE' });
  }
  shared.after = bytes;
}

/** The current setting of {@link setKernelAfter}; what the adapters ask at each splice's start. */
export function kernelAfter(): number {
  return shared.after ?? KERNEL_AFTER_DEFAULT;
}

export function nativeStats(): NativeStats {
  return addon?.stats() ?? { threads: 0, active: 0, pipes: 0, started: 0 };
}

/**
 * For adapters: whether a splice between these two marked ends (the task's
 * `source` and `drain`, or a socket kit's read and write sides, which are its
 * streams' marks) over these kernel fds may take the kernel path now.
 * Synchronous and side-effect free, as a direct provider's decision must be.
 */
export function kernelEligible(source: object, drain: object, sourceFd: unknown, drainFd: unknown, control: SpliceControl): boolean {
  if (addon === undefined || !shared.enabled || shared.off.has(source) || shared.off.has(drain)) return false;
  if (typeof sourceFd !== 'number' || typeof drainFd !== 'number' || sourceFd < 0 || drainFd < 0) return false;
  // A core older than the liveProgress seam cannot show the thread's progress.
  if (typeof control.liveProgress !== 'function') return false;
  return addon.check(sourceFd) === 0 && addon.check(drainFd) === 0;
}

/**
 * For adapters: starts the splice thread's work on two fds the runtime no
 * longer reads (source) or writes (drain). Throws the errno as a coded error
 * when the thread cannot take it (for example EMFILE).
 */
export function startKernelSplice(sourceFd: number, drainFd: number, control: SpliceControl): KernelSplice {
  if (addon === undefined) throw Object.assign(new Error(`The kernel path is not available: ${shared.loaded.reason}`), { code: 'ERR_NATIVE_UNAVAILABLE' });
  const run = new KernelSplice(addon, sourceFd, drainFd, control);
  shared.runs.set(run.id, run);
  if (shared.reapTimer !== undefined) {
    clearTimeout(shared.reapTimer);
    shared.reapTimer = undefined;
  }
  return run;
}
