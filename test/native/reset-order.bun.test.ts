/** The kernel path keeps order through a source reset under Bun (see ./_reset-order.ts). */
import { describe } from 'vitest';
import { bunHarness } from '../harness/bun';
import { kernelAvailable } from '../harness/_kernel';
import { describeResetOrder } from './_reset-order';

describe.runIf(kernelAvailable())('kernel path: order through a source reset (bun)', () => {
  describeResetOrder(bunHarness({ direct: true, kernel: true, transport: 'tcp' }));
});
