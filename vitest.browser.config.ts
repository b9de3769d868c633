import { fileURLToPath } from 'node:url';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { chromiumArgs, chromiumPath } from './test/browser/chromium.ts';
import { firefoxEsr } from './test/browser/firefox-provider.ts';

// The `chromium` and `firefox` launchers of scripts/test-all.mjs (through
// test/browser/launch-*.mjs): the transport-free tests in a page of the
// system's browsers (Debian's `chromium` and `firefox-esr`, which `.ci/run`
// installs). Nothing here downloads a browser.
const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

// The in-memory conformance suite (native and polyfill streams, byte and
// default sources) and every other test that needs no socket and no runtime
// API: what the core promises in any Web Streams host.
const inPage = {
  include: [
    'test/conformance/memory.test.ts',
    'test/conformance/kit.test.ts',
    'test/transform.test.ts',
    'test/validation.test.ts',
    'test/regressions.test.ts',
    'test/starvation.test.ts',
    'test/browser/**/*.page.ts',
  ],
};
const page = { headless: true, screenshotFailures: false, api: { host: '127.0.0.1' } };

export default defineConfig({
  resolve: {
    alias: {
      // Before '@sosplice/core', which would match it as a prefix.
      '@sosplice/core/socket': fileURLToPath(new URL('./packages/core/src/socket/index.ts', import.meta.url)),
      '@sosplice/core': src('core'),
    },
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'chromium',
          ...inPage,
          browser: {
            ...page,
            enabled: true,
            // playwright, pointed at the system executable.
            provider: playwright({ launchOptions: { executablePath: chromiumPath, args: chromiumArgs } }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
      {
        extends: true,
        test: {
          name: 'firefox',
          ...inPage,
          // No driver: Firefox opens the test page and reports over vitest's websocket.
          browser: { ...page, enabled: true, provider: firefoxEsr(), instances: [{ browser: 'firefox' }] },
        },
      },
      {
        extends: true,
        test: {
          // Node-side checks of the browser story, run with the chromium row:
          // the example page driven in Chromium, and the core's browser
          // bundle size. Named `*.spec.ts` so the four runtime launchers
          // (which take `*.test.ts`) leave them out.
          name: 'chromium-host',
          include: ['test/browser/**/*.spec.ts', 'examples/browser/**/*.spec.ts'],
          environment: 'node',
        },
      },
    ],
  },
});
