/**
 * The conformance suite: every promise of docs/contract.md, stated
 * once against the `Harness` seam (`_harness.ts`) and run unchanged on every
 * runtime and transport. Each section lives in its own `_suite-*.ts` file.
 *
 * Tests that need control only some transports give (exact chunking, a known
 * buffer size, a close that can be held back) check `harness.features` and
 * say why in a comment; they pass trivially elsewhere rather than skip.
 */
import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import type { HarnessFactory } from './_harness';
import { createContext } from './_suite-context';
import { startSection } from './_suite-start';
import { flowSection } from './_suite-flow';
import { maxSection } from './_suite-max';
import { idleSection } from './_suite-idle';
import { unspliceSection } from './_suite-unsplice';
import { endSection } from './_suite-end';
import { racesSection } from './_suite-races';
import { resetsSection } from './_suite-resets';
import { linkedSection } from './_suite-linked';
import { unshiftSection } from './_suite-unshift';
import { endedSection } from './_suite-ended';
import { lazySection } from './_suite-lazy';

/**
 * Declares the suite for one harness. `label` names the enclosing describe
 * (the harness's own `name` is known only once the factory ran).
 */
export function describeConformance(factory: HarnessFactory, label = 'conformance'): void {
  describe(label, () => {
    const ctx = createContext();
    beforeAll(async () => {
      ctx.setHarness(await factory());
    });
    afterEach(() => ctx.cleanup());
    afterAll(async () => {
      await ctx.cleanup();
      await ctx.harness.dispose();
    });

    startSection(ctx);
    flowSection(ctx);
    maxSection(ctx);
    idleSection(ctx);
    unspliceSection(ctx);
    endSection(ctx);
    resetsSection(ctx);
    linkedSection(ctx);
    unshiftSection(ctx);
    racesSection(ctx);
    endedSection(ctx);
    lazySection(ctx);
  });
}
