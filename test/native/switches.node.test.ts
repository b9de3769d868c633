/** The kernel path's status and switches under Node (see ./_switches.ts). */
import { describe } from 'vitest';
import { nodeHarness } from '../harness/node';
import { kernelAvailable } from '../harness/_kernel';
import { describeAvailability, describeSwitches } from './_switches';
import { describeHandover } from './_handover';

describeAvailability();

describe.runIf(kernelAvailable())('kernel path: status and switches (node)', () => {
  describeSwitches(nodeHarness({ direct: true, kernel: true, transport: 'tcp' }), nodeHarness({ direct: true, kernel: true, transport: 'tls' }));
});

describe.runIf(kernelAvailable())('kernel path: the hand-over after kernelAfter() bytes (node)', () => {
  describeHandover(nodeHarness({ direct: true, kernel: true, transport: 'tcp' }));
});
