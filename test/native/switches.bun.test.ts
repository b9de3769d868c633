/** The kernel path's status and switches under Bun (see ./_switches.ts). */
import { describe } from 'vitest';
import { bunHarness } from '../harness/bun';
import { kernelAvailable } from '../harness/_kernel';
import { describeAvailability, describeSwitches } from './_switches';
import { describeHandover } from './_handover';

describeAvailability();

describe.runIf(kernelAvailable())('kernel path: status and switches (bun)', () => {
  describeSwitches(bunHarness({ direct: true, kernel: true, transport: 'tcp' }), bunHarness({ direct: true, kernel: true, transport: 'tls' }));
});

describe.runIf(kernelAvailable())('kernel path: the hand-over after kernelAfter() bytes (bun)', () => {
  describeHandover(bunHarness({ direct: true, kernel: true, transport: 'tcp' }));
});
