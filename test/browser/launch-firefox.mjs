#!/usr/bin/env node
// The `firefox` launcher: the in-page tests in Debian's Firefox ESR
// (vitest.browser.config.ts, test/browser/firefox-provider.ts).
// Usage: test/browser/launch-firefox.mjs [--version | vitest args...]
import { launch } from './_launch.mjs';

launch({
  name: 'firefox',
  executable: process.env.SOSPLICE_FIREFOX ?? '/usr/bin/firefox-esr',
  pkg: 'firefox-esr',
  projects: ['firefox'],
});
