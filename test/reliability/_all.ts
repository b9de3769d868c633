/**
 * Every socket section of the reliability suite for one adapter, on its
 * direct dispatch path and its generic stream path (TCP); the fault
 * scenarios also over the adapter's other transports (TLS, Unix, IPv6).
 */
import { describe } from 'vitest';
import type { HarnessFactory } from '../conformance/_harness';
import { describeBadInput } from './_bad-input';
import type { RuntimeHooks } from './_common';
import { describeFaults } from './_faults';
import { describeLoad } from './_load';
import { describePropertySockets } from './_property-sockets';
import { describeRaces } from './_races';
import { describeSweep } from './_sweep';

export function describeReliability<T extends string>(
  runtime: string,
  harness: (options: { direct: boolean; transport: T | 'tcp' }) => HarnessFactory,
  hooks: RuntimeHooks,
  faultTransports: readonly T[] = [],
): void {
  for (const direct of [true, false]) {
    describe(`${runtime}:tcp:${direct ? 'direct' : 'generic'}`, () => {
      const factory = harness({ direct, transport: 'tcp' });
      describeFaults(factory, 'reliability', hooks);
      describeRaces(factory, 'reliability', hooks);
      describeBadInput(factory, 'reliability', hooks);
      describePropertySockets(factory, 'reliability', hooks);
      describeLoad(factory, 'reliability', hooks, { pairs: 1000, sequential: 300 });
      describeSweep(factory, 'reliability', hooks);
    });
    for (const transport of faultTransports) {
      describe(`${runtime}:${transport}:${direct ? 'direct' : 'generic'}`, () => {
        describeFaults(harness({ direct, transport }), 'reliability', hooks);
      });
    }
  }
}
