// JSR readiness: `deno publish --dry-run` of the workspace (every package's
// jsr.json) type-checks the TypeScript source with Deno's bundled TypeScript
// and its slow-types rules, as a publish would, without network.
import { spawn } from 'node:child_process';
import { root, runtimeBinary } from '../../examples/_runtimes.mjs';

export function jsrDryRun() {
  const started = Date.now();
  const child = spawn(runtimeBinary('deno'), ['publish', '--dry-run', '--allow-dirty'], {
    cwd: root,
    env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return new Promise((resolve) => {
    child.on('close', (code) => {
      const ok = code === 0;
      resolve([{ name: 'deno publish --dry-run (JSR)', ok, detail: ok ? `${Date.now() - started} ms` : output.trim() }]);
    });
  });
}
