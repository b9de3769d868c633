// What the browser launchers (launch-chromium.mjs, launch-firefox.mjs) share:
// make sure the system browser is there (Debian's package, installed with
// apt-get when it is missing and we may), answer --version with its
// version as the other launchers do, else run vitest with the browser config
// on the given projects.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

export function launch({ name, executable, pkg, projects }) {
  const args = process.argv.slice(2);
  if (!existsSync(executable) && !(installDebianPackage(pkg) && existsSync(executable))) {
    console.error(`${name}: ${executable} not found and apt-get could not install it (it needs root and Debian's package mirror). Install Debian's package: apt-get install ${pkg}`);
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

// Never a downloaded browser: Debian's own package, without a prompt.
function installDebianPackage(pkg) {
  if (process.getuid?.() !== 0 || spawnSync('apt-get', ['--version']).status !== 0) return false;
  console.error(`installing Debian's ${pkg} for the browser tests (apt-get, about a minute)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const quiet = { stdio: ['ignore', 'ignore', 'inherit'], env };
  return spawnSync('apt-get', ['update', '-qq'], quiet).status === 0 && spawnSync('apt-get', ['install', '-y', '-qq', pkg], quiet).status === 0;
}
