#!/usr/bin/env node
// The `chromium` launcher: the in-page tests in Debian's Chromium, then the
// example page driven in it and the bundle-size check (vitest.browser.config.ts).
// Usage: test/browser/launch-chromium.mjs [--version | vitest args...]
import { launch } from './_launch.mjs';

launch({
  name: 'chromium',
  executable: process.env.SOSPLICE_CHROMIUM ?? '/usr/bin/chromium',
  pkg: 'chromium',
  projects: ['chromium', 'chromium-host'],
});
