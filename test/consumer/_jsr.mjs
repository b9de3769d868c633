// JSR readiness: `deno publish --dry-run` of the workspace (every package's
// jsr.json) type-checks the TypeScript source with Deno's bundled TypeScript
// and its slow-types rules, as a publish would, without network.
import { root, runtimeBinary } from '../../examples/_runtimes.mjs';
import { checkCommand } from './_project.mjs';

export async function jsrDryRun() {
  const env = { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' };
  return [await checkCommand('deno publish --dry-run (JSR)', runtimeBinary('deno'), ['publish', '--dry-run', '--allow-dirty'], { cwd: root, env })];
}
