/** The kernel path's leak and race check under Node (see ./_churn.ts). */
import { describe } from 'vitest';
import { nodeHarness } from '../harness/node';
import { kernelAvailable } from '../harness/_kernel';
import { describeChurn } from './_churn';

const total = Number(process.env.SOSPLICE_CHURN_SPLICES ?? 1500);

// Where the addon is not built the kernel path does not exist (test/native/fallback covers that case).
describe.runIf(kernelAvailable())('kernel path: leaks and races (node)', () => {
  describeChurn(nodeHarness({ direct: true, kernel: true, transport: 'tcp' }), total);
});
