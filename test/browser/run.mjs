#!/usr/bin/env node
// The `chromium` launcher of scripts/test-all.mjs: vitest with the browser
// config (vitest.browser.config.ts), after checking that the system Chromium
// is there. `--version` prints Chromium's version, as the other launchers do.
// Usage: node test/browser/run.mjs [vitest args...]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const chromium = process.env.SOSPLICE_CHROMIUM ?? '/usr/bin/chromium';
const args = process.argv.slice(2);

if (!existsSync(chromium)) {
  console.error(`chromium: ${chromium} not found. Install Debian's package (apt-get install chromium; .ci/run does) or set SOSPLICE_CHROMIUM.`);
  process.exit(1);
}
if (args[0] === '--version') {
  const out = spawnSync(chromium, ['--version'], { encoding: 'utf8' });
  console.log(out.stdout.trim());
  process.exit(out.status ?? 1);
}
const vitest = join(root, 'node_modules/vitest/vitest.mjs');
const run = spawnSync(process.execPath, [vitest, ...args, '--config', join(root, 'vitest.browser.config.ts')], { cwd: root, stdio: 'inherit' });
process.exit(run.status ?? 1);
