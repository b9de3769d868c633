#!/usr/bin/env node
// Builds the Node-API addon with the system C compiler: no node-gyp, no
// header download (the headers come from the node-api-headers package).
//   node scripts/build-addon.mjs             -> dist/sosplice.node (-O2 -Wall -Wextra -Werror)
//   node scripts/build-addon.mjs --sanitize  -> dist/sosplice-asan.node (AddressSanitizer + UBSan)
// Where no backend exists (not Linux) or no compiler is found, it says so and
// exits 0: the package still installs and the adapters keep their JS paths
// (nativeStatus() reports why). A compiler error on Linux fails the build.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const sanitize = process.argv.includes('--sanitize');
const out = join(root, 'dist', sanitize ? 'sosplice-asan.node' : 'sosplice.node');
const skip = (why) => {
  console.log(`@sosplice/native: addon not built (${why}); the adapters use their JavaScript paths`);
  process.exit(0);
};

if (process.platform !== 'linux') skip(`no backend for ${process.platform} yet`);
const cc = process.env.CC || 'cc';
if (spawnSync(cc, ['--version'], { stdio: 'ignore' }).status !== 0) skip(`no C compiler: "${cc}" did not run`);
let include;
try {
  include = join(dirname(createRequire(join(root, 'package.json')).resolve('node-api-headers/package.json')), 'include');
} catch {
  skip('the node-api-headers package is not installed');
}

const flags = sanitize
  ? ['-O1', '-g', '-fsanitize=address,undefined', '-fno-omit-frame-pointer', '-fno-sanitize-recover=undefined']
  : ['-O2'];
const args = [
  ...flags,
  '-std=gnu11', '-Wall', '-Wextra', '-Werror', '-fPIC', '-shared', '-fvisibility=hidden',
  '-I', include,
  join(root, 'src/addon.c'), join(root, 'src/linux-splice.c'),
  '-o', out, '-lpthread',
];
mkdirSync(dirname(out), { recursive: true });
const started = Date.now();
const run = spawnSync(cc, args, { stdio: 'inherit' });
if (run.status !== 0) {
  console.error(`@sosplice/native: ${cc} failed (exit ${run.status})`);
  process.exit(1);
}
console.log(`@sosplice/native: built ${out} in ${Date.now() - started} ms`);
