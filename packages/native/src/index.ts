/**
 * `@sosplice/native`: the kernel path (SPEC.md section 8). Linux `splice(2)`
 * on splice threads, for adapter sockets backed by a kernel fd (TCP and Unix
 * stream sockets without TLS), so spliced bytes never enter JavaScript.
 *
 * Applications only read the status and flip the switches; the adapters
 * (`@sosplice/node-adapter`, `@sosplice/bun-adapter`) use the kernel path on
 * their own whenever both ends of a splice qualify and it is enabled.
 */
import { directSplice, type DirectSpliceCapable, type DirectSpliceEnd, type SpliceControl } from '@sosplice/core';
import { loadAddon, type Addon } from './_addon.js';
import { canShadow } from './_live.js';
import { KernelSplice } from './kernel-splice.js';

export { KernelSplice, type KernelEnd, type KernelOutcome } from './kernel-splice.js';

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

const runs = new Map<number, KernelSplice>();
const loaded = loadAddon(onEvents);
const addon: Addon | undefined = loaded.addon;
let enabled = true;
const off = new WeakSet<object>();
let reapTimer: ReturnType<typeof setTimeout> | undefined;

/** The addon's threads tell us which splices ended. */
function onEvents(): void {
  for (const id of addon?.events() ?? []) {
    const run = runs.get(id);
    if (run === undefined) continue;
    runs.delete(id);
    run.ended();
  }
  if (runs.size === 0) scheduleReap();
}

/** Splice threads with nothing to do end a little later; the timer never holds the process open. */
function scheduleReap(): void {
  if (reapTimer !== undefined || addon === undefined) return;
  reapTimer = setTimeout(() => {
    reapTimer = undefined;
    if (runs.size === 0) addon.reap();
  }, REAP_AFTER_MS);
  (reapTimer as { unref?: () => void }).unref?.();
}

/** Whether the kernel path is available, enabled, and why (not). */
export function nativeStatus(): NativeStatus {
  return { available: addon !== undefined, enabled, reason: loaded.reason };
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
    enabled = value;
    return;
  }
  if (typeof endpoint !== 'object' || endpoint === null) {
    throw Object.assign(new TypeError(`The "endpoint" argument must be an object with readable and writable. Received ${String(endpoint)}`), {
      code: 'ERR_INVALID_ARG_TYPE',
    });
  }
  // The adapters ask by the mark on the streams (the core's directSplice), which they see in a splice.
  for (const stream of [endpoint.readable, endpoint.writable]) {
    const end = (stream as DirectSpliceCapable)[directSplice];
    if (end === undefined) continue;
    if (value) off.delete(end);
    else off.add(end);
  }
}

export function nativeStats(): NativeStats {
  return addon?.stats() ?? { threads: 0, active: 0, pipes: 0, started: 0 };
}

/**
 * For adapters: whether a splice between these two marked ends (the task's
 * `source` and `drain`) over these kernel fds may take the kernel path now.
 * Synchronous and side-effect free, as a direct provider's decision must be.
 */
export function kernelEligible(source: DirectSpliceEnd, drain: DirectSpliceEnd, sourceFd: unknown, drainFd: unknown, control: SpliceControl): boolean {
  if (addon === undefined || !enabled || off.has(source) || off.has(drain)) return false;
  if (typeof sourceFd !== 'number' || typeof drainFd !== 'number' || sourceFd < 0 || drainFd < 0) return false;
  if (!canShadow(control)) return false;
  return addon.check(sourceFd) === 0 && addon.check(drainFd) === 0;
}

/**
 * For adapters: starts the splice thread's work on two fds the runtime no
 * longer reads (source) or writes (drain). Throws the errno as a coded error
 * when the thread cannot take it (for example EMFILE).
 */
export function startKernelSplice(sourceFd: number, drainFd: number, control: SpliceControl): KernelSplice {
  if (addon === undefined) throw Object.assign(new Error(`The kernel path is not available: ${loaded.reason}`), { code: 'ERR_NATIVE_UNAVAILABLE' });
  const run = new KernelSplice(addon, sourceFd, drainFd, control);
  runs.set(run.id, run);
  if (reapTimer !== undefined) {
    clearTimeout(reapTimer);
    reapTimer = undefined;
  }
  return run;
}
