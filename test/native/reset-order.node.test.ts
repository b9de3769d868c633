/** The kernel path keeps order through a source reset under Node (see ./_reset-order.ts). */
import { describe } from 'vitest';
import { nodeHarness } from '../harness/node';
import { kernelAvailable } from '../harness/_kernel';
import { describeResetOrder } from './_reset-order';

describe.runIf(kernelAvailable())('kernel path: order through a source reset (node)', () => {
  describeResetOrder(nodeHarness({ direct: true, kernel: true, transport: 'tcp' }));
});
