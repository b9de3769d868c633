/**
 * SPEC.md 8, the fallback: where the addon cannot be loaded (no compiler at
 * install, another OS), the packages still load, `nativeStatus()` says why,
 * and splices run on the adapters' JS paths. Proved by forcing the module
 * absent in child processes (Node, and Bun with its own adapter).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = fileURLToPath(new URL('./fallback-check.mjs', import.meta.url));
const missing = '/nonexistent/sosplice.node';

for (const [name, command] of [
  ['node', process.execPath],
  ['bun', `${root}node_modules/.bin/bun`],
] as const) {
  it(`${name}: with the addon absent, nativeStatus() says why and splices take the JS path`, () => {
    const run = spawnSync(command, [script], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, SOSPLICE_NATIVE_ADDON: missing, SOSPLICE_NATIVE: '' },
    });
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout.trim().split('\n').pop()!);
    expect(report.status.available).toBe(false);
    expect(report.status.reason).toContain(missing);
    expect(report.stats.started).toBe(0);
    expect(report.result).toEqual({ reason: 'eof', bytes: 1 << 20 });
    expect(report.received).toBe(1 << 20);
  });
}
