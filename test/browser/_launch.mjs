// What the browser launchers (launch-chromium.mjs, launch-firefox.mjs) share:
// check that the system browser is there, answer --version with its
// version as the other launchers do, else run vitest with the browser config
// on the given projects.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

export function launch({ name, executable, pkg, projects }) {
  const args = process.argv.slice(2);
  if (!existsSync(executable)) {
    console.error(`${name}: ${executable} not found. Install Debian's package (apt-get install ${pkg}; .ci/run does).`);
    process.exit(1);
  }
  if (args[0] === '--version') {
    const out = spawnSync(executable, ['--version'], { encoding: 'utf8' });
    console.log(out.stdout.trim());
    process.exit(out.status ?? 1);
  }
  const vitest = join(root, 'node_modules/vitest/vitest.mjs');
  const config = ['--config', join(root, 'vitest.browser.config.ts'), ...projects.flatMap((p) => ['--project', p])];
  const run = spawnSync(process.execPath, [vitest, ...args, ...config], { cwd: root, stdio: 'inherit' });
  process.exit(run.status ?? 1);
}
