/**
 * Live `bytes` and `idle` for a splice whose bytes move on a splice thread.
 *
 * The core reads a splice's count and idle deadline from its controller
 * (`SpliceController.bytes`, `.idleDeadline`), which only hears of bytes
 * through `count()`. Calling `count()` for every move would wake the event
 * loop all the time; instead, while the thread runs the splice, these two
 * getters are shadowed on the controller instance to add what the thread
 * reports (bytes delivered, time since bytes last moved), read on demand.
 * So `splice.bytes` is exact whenever it is read, and the core's one idle
 * clock decides `idle` from the thread's own clock: it is never early, and
 * costs no wake-up per chunk (docs/contract.md#counting, #idle).
 *
 * The core's direct-dispatch seam has no hook for this yet; when it gets one
 * (say `DirectSpliceRun.progress()`), this file goes.
 */
import type { SpliceControl } from '@sosplice/core';

/** What the thread reports: bytes delivered, and milliseconds since bytes last moved. */
export interface Progress {
  delivered(): number;
  quietMs(): number;
}

interface Shadowable {
  readonly idle: number;
}

function protoGetter(control: object, name: string): (() => number) | undefined {
  for (let o = Object.getPrototypeOf(control); o !== null; o = Object.getPrototypeOf(o)) {
    const d = Object.getOwnPropertyDescriptor(o, name);
    if (d !== undefined) return typeof d.get === 'function' ? (d.get as () => number) : undefined;
  }
  return undefined;
}

/** Whether `control` has the shape this file shadows (the core's SpliceController). */
export function canShadow(control: SpliceControl): boolean {
  return (
    typeof (control as unknown as Shadowable).idle === 'number' &&
    protoGetter(control, 'bytes') !== undefined &&
    protoGetter(control, 'idleDeadline') !== undefined
  );
}

/** Shadows `bytes` and `idleDeadline` on `control`; returns the function that removes the shadows. */
export function shadowProgress(control: SpliceControl, progress: Progress): () => void {
  const bytes = protoGetter(control, 'bytes')!;
  const deadline = protoGetter(control, 'idleDeadline')!;
  const idle = (control as unknown as Shadowable).idle;
  Object.defineProperty(control, 'bytes', {
    configurable: true,
    get: () => bytes.call(control) + progress.delivered(),
  });
  Object.defineProperty(control, 'idleDeadline', {
    configurable: true,
    get: () => Math.max(deadline.call(control), performance.now() - progress.quietMs() + idle),
  });
  return () => {
    delete (control as unknown as Record<string, unknown>)['bytes'];
    delete (control as unknown as Record<string, unknown>)['idleDeadline'];
  };
}
