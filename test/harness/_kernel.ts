/**
 * The kernel path (SPEC.md 8) in the socket harnesses: its name in test
 * titles, and a loud failure when a suite asks for it where it cannot run,
 * rather than a silent fall back to the JS direct path.
 */
import { nativeStats, nativeStatus } from '@sosplice/native';

export interface PathOptions {
  direct: boolean;
  kernel?: boolean;
}

/** `generic`, `direct` (the adapter's JS direct path) or `kernel`. */
export const pathName = (options: PathOptions): string => (!options.direct ? 'generic' : options.kernel ? 'kernel' : 'direct');

/** Whether the kernel path can run here (Linux, addon built, not turned off). */
export const kernelAvailable = (): boolean => nativeStatus().available && nativeStatus().enabled;

/** Fails now if the kernel path cannot run; `assertUsed()` fails later if no splice took it. */
export function requireKernelPath(): { assertUsed(): void } {
  const status = nativeStatus();
  if (!status.available || !status.enabled) throw new Error(`the kernel path was asked for but is not available: ${status.reason}`);
  const before = nativeStats().started;
  return {
    assertUsed() {
      if (nativeStats().started === before) throw new Error('no splice took the kernel path: the suite ran on another path');
    },
  };
}
