/**
 * Every socket section of the reliability suite for one adapter, on each of
 * its paths over TCP: the kernel path (`@sosplice/native`, where the adapter
 * has one and the addon is available here), the JS direct dispatch path and
 * the generic stream path.
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

type HarnessOf = (options: { direct: boolean; kernel?: boolean; transport: 'tcp' }) => HarnessFactory;

export function describeReliability(runtime: string, harness: HarnessOf, hooks: RuntimeHooks, options: { kernel?: boolean } = {}): void {
  const paths = [...(options.kernel && kernelAvailable() ? [{ direct: true, kernel: true }] : []), { direct: true }, { direct: false }];
  for (const path of paths) {
    describe(`${runtime}:tcp:${pathName(path)}`, () => {
      const factory = harness({ ...path, transport: 'tcp' });
      // On the kernel path the splice thread writes the drain, never the runtime's write call, so
      // "an abort fired inside that call" has no counterpart there (test/native covers stops at random moments).
      const pathHooks: RuntimeHooks = 'kernel' in path ? { ...hooks, onSocketWrite: undefined } : hooks;
      describeFaults(factory, 'reliability', pathHooks);
      describeRaces(factory, 'reliability', pathHooks);
      describeBadInput(factory, 'reliability', pathHooks);
      describePropertySockets(factory, 'reliability', pathHooks);
      describeLoad(factory, 'reliability', pathHooks, { pairs: 1000, sequential: 300 });
    });
  }
}
