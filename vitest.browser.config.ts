import { fileURLToPath } from 'node:url';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { chromiumArgs, chromiumPath } from './test/browser/chromium.ts';

// The `chromium` launcher of scripts/test-all.mjs (through test/browser/run.mjs):
// the transport-free tests in a page of the system's Chromium (Debian's
// `chromium` package, which `.ci/run` installs), driven by playwright pointed
// at that executable: no browser is ever downloaded.
const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: { alias: { '@sosplice/core': src('core') } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'chromium',
          // The in-memory conformance suite (native and polyfill streams, byte
          // and default sources) and every other test that needs no socket
          // and no runtime API: what the core promises in any Web Streams host.
          include: [
            'test/conformance/memory.test.ts',
            'test/transform.test.ts',
            'test/validation.test.ts',
            'test/regressions.test.ts',
            'test/starvation.test.ts',
            'test/browser/**/*.page.ts',
          ],
          // Chromium (156) never calls a Transformer's `cancel` hook (on an
          // aborted writable side nor a cancelled readable side), so
          // SpliceTransform's `done` cannot settle when its upstream errors:
          // a known gap of the browser, left out here by name and counted as
          // skipped, until the core settles `done` another way.
          testNamePattern: /^(?!.*settles done with 'error' and the original error when the upstream fails)/,
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({ launchOptions: { executablePath: chromiumPath, args: chromiumArgs } }),
            instances: [{ browser: 'chromium' }],
            screenshotFailures: false,
            // Vite's server for the test pages: loopback only.
            api: { host: '127.0.0.1' },
          },
        },
      },
      {
        extends: true,
        test: {
          // Node-side checks of the browser story: the example page driven in
          // Chromium, and the core's browser bundle size. Named `*.spec.ts` so
          // the four runtime launchers (which take `*.test.ts`) leave them out.
          name: 'chromium-host',
          include: ['test/browser/**/*.spec.ts', 'examples/browser/**/*.spec.ts'],
          environment: 'node',
        },
      },
    ],
  },
});
