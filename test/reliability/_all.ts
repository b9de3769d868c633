/**
 * Every socket section of the reliability suite for one adapter, on its
 * direct dispatch path and its generic stream path (TCP).
 */
import { describe } from 'vitest';
import type { HarnessFactory } from '../conformance/_harness';
import { describeBadInput } from './_bad-input';
import type { RuntimeHooks } from './_common';
import { describeFaults } from './_faults';
import { describeLoad } from './_load';
import { describePropertySockets } from './_property-sockets';
import { describeRaces } from './_races';

export function describeReliability(runtime: string, harness: (options: { direct: boolean; transport: 'tcp' }) => HarnessFactory, hooks: RuntimeHooks): void {
  for (const direct of [true, false]) {
    describe(`${runtime}:tcp:${direct ? 'direct' : 'generic'}`, () => {
      const factory = harness({ direct, transport: 'tcp' });
      describeFaults(factory, 'reliability', hooks);
      describeRaces(factory, 'reliability', hooks);
      describeBadInput(factory, 'reliability', hooks);
      describePropertySockets(factory, 'reliability', hooks);
      describeLoad(factory, 'reliability', hooks, { pairs: 1000, sequential: 300 });
    });
  }
}
