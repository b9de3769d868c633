/**
 * The kernel path (docs/contract.md#the-kernel-path) in the socket harnesses: its name in test
 * titles, and a loud failure when a suite asks for it where it cannot run,
 * rather than a silent fall back to the JS direct path.
 */
import { nativeStats, nativeStatus } from '@sosplice/native';
import type { HarnessFactory } from '../conformance/_harness';

export interface PathOptions {
  direct: boolean;
  kernel?: boolean;
}

/** `generic`, `direct` (the adapter's JS direct path) or `kernel`. */
export const pathName = (options: PathOptions): string => (!options.direct ? 'generic' : options.kernel ? 'kernel' : 'direct');

/** Whether the kernel path can run here (Linux, addon built, not turned off). */
export const kernelAvailable = (): boolean => nativeStatus().available && nativeStatus().enabled;

/** Fails if the kernel path cannot run. */
export function requireKernelPath(): void {
  const status = nativeStatus();
  if (!status.available || !status.enabled) throw new Error(`the kernel path was asked for but is not available: ${status.reason}`);
}

/** Wraps a kernel-path harness so that its suite fails if no splice took the kernel path (a silent fall back). */
export function provingKernelPath(factory: HarnessFactory): HarnessFactory {
  return async () => {
    const harness = await factory();
    const before = nativeStats().started;
    return {
      ...harness,
      endpoint: () => harness.endpoint(),
      dispose: async () => {
        await harness.dispose();
        if (nativeStats().started === before) throw new Error(`${harness.name}: no splice took the kernel path`);
      },
    };
  };
}
