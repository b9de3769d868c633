/**
 * Every socket section of the reliability suite for one adapter, on each of
 * its paths over TCP: the kernel path (`@sosplice/native`, where the adapter
 * has one and the addon is available here), the JS direct dispatch path and
 * the generic stream path; the fault scenarios also over the adapter's other
 * transports (TLS, Unix, IPv6) on the JS paths.
 */
import { describe } from 'vitest';
import type { HarnessFactory } from '../conformance/_harness';
import { kernelAvailable, pathName } from '../harness/_kernel';
import { describeBadInput } from './_bad-input';
import type { RuntimeHooks } from './_common';
import { describeFaults } from './_faults';
import { describeLoad } from './_load';
import { describePropertySockets } from './_property-sockets';
import { describeRaces } from './_races';
import { describeSweep } from './_sweep';

type Path = { direct: boolean; kernel?: boolean };
type HarnessOf<T extends string> = (options: Path & { transport: T | 'tcp' }) => HarnessFactory;

export function describeReliability<T extends string>(
  runtime: string,
  harness: HarnessOf<T>,
  hooks: RuntimeHooks,
  options: { kernel?: boolean; faultTransports?: readonly T[] } = {},
): void {
  const paths: Path[] = [...(options.kernel && kernelAvailable() ? [{ direct: true, kernel: true }] : []), { direct: true }, { direct: false }];
  for (const path of paths) {
    describe(`${runtime}:tcp:${pathName(path)}`, () => {
      const factory = harness({ ...path, transport: 'tcp' });
      // On the kernel path the splice thread writes the drain, never the runtime's write call, so
      // "an abort fired inside that call" has no counterpart there (test/native covers stops at random moments).
      const pathHooks: RuntimeHooks = path.kernel ? { ...hooks, onSocketWrite: undefined } : hooks;
      describeFaults(factory, 'reliability', pathHooks);
      describeRaces(factory, 'reliability', pathHooks);
      describeBadInput(factory, 'reliability', pathHooks);
      describePropertySockets(factory, 'reliability', pathHooks);
      describeLoad(factory, 'reliability', pathHooks, { pairs: 1000, sequential: 300 });
      describeSweep(factory, 'reliability', pathHooks);
    });
    if (path.kernel) continue;
    for (const transport of options.faultTransports ?? []) {
      describe(`${runtime}:${transport}:${pathName(path)}`, () => {
        describeFaults(harness({ ...path, transport }), 'reliability', hooks);
      });
    }
  }
}
