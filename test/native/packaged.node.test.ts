/**
 * docs/contract.md#the-kernel-path through the built packages, in child processes (Node, and Bun
 * with its own adapter): the kernel path is taken when the addon is there,
 * and where it cannot be loaded (no compiler at install, another OS) the
 * packages still load, `nativeStatus()` says why, and splices run on the
 * adapters' JS paths (the module is forced absent).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { kernelAvailable } from '../harness/_kernel';

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = fileURLToPath(new URL('./packaged-check.mjs', import.meta.url));
const missing = '/nonexistent/sosplice.node';

for (const [name, command] of [
  ['node', process.execPath],
  ['bun', `${root}node_modules/.bin/bun`],
] as const) {
  const check = (env: Record<string, string>) => {
    const run = spawnSync(command, [script], { cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, SOSPLICE_NATIVE: '', ...env } });
    expect(run.status, run.stderr).toBe(0);
    return JSON.parse(run.stdout.trim().split('\n').pop()!);
  };

  // Regression: under Bun, pnpm's links made the adapter load a second copy of @sosplice/native, whose addon init failed, so the kernel path never ran.
  it.runIf(kernelAvailable())(`${name}: through the built packages, a splice between two adapter sockets takes the kernel path`, () => {
    const report = check({});
    expect(report.status.available).toBe(true);
    expect(report.stats.started).toBe(1);
    expect(report.result).toEqual({ reason: 'eof', bytes: 1 << 20 });
    expect(report.received).toBe(1 << 20);
  });

  it(`${name}: with the addon absent, nativeStatus() says why and splices take the JS path`, () => {
    const report = check({ SOSPLICE_NATIVE_ADDON: missing });
    expect(report.status.available).toBe(false);
    expect(report.status.reason).toContain(missing);
    expect(report.stats.started).toBe(0);
    expect(report.result).toEqual({ reason: 'eof', bytes: 1 << 20 });
    expect(report.received).toBe(1 << 20);
  });
}
