/**
 * Regression (issue 16): splicing into a writable that is already closed
 * hung the whole process. A closed writable's desiredSize stays 0 while its
 * `ready` is fulfilled, so the pump re-awaited `ready` forever in
 * microtasks: no timer ever fired, and neither `signal` nor `idle` could
 * end it (SPEC 4.1: the engine never starves the event loop).
 *
 * A hang cannot be caught in-process (the spin starves the test runner's own
 * timers), so the reproduction runs in a child process of the same runtime,
 * which this test kills at a deadline: a regression fails by timing out.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const child = fileURLToPath(new URL('./_closed-drain-child.ts', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));
/** Generous: a loaded 2-core machine starting a runtime; the cases themselves take milliseconds. */
const DEADLINE_MS = 20_000;

/** The command that runs a TypeScript file in the runtime running this test. */
function runtimeCommand(file: string, impl: string): string[] {
  const g = globalThis as { Bun?: unknown; Deno?: unknown };
  // Bun and Deno run TypeScript themselves; Node (20 has no type stripping) through tsx.
  if (g.Bun) return [process.execPath, file, impl];
  if (g.Deno) return [process.execPath, 'run', '-A', '--sloppy-imports', '--node-modules-dir=manual', file, impl];
  return [process.execPath, '--import', 'tsx', file, impl];
}

function runWithDeadline(argv: string[]): Promise<{ code: number | null; timedOut: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(argv[0]!, argv.slice(1), { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DENO_NO_UPDATE_CHECK: '1' } });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d));
    proc.stderr.on('data', (d: Buffer) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      proc.kill('SIGKILL');
    }, DEADLINE_MS);
    proc.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    proc.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, timedOut, stdout, stderr });
    });
  });
}

describe('a splice into a closed or closing writable ends, and lets timers run (child process with a deadline)', () => {
  for (const impl of ['native', 'polyfill']) {
    it(`${impl} streams: done settles with 'error' (ERR_INVALID_STATE), the source released`, async () => {
      const run = await runWithDeadline(runtimeCommand(child, impl));
      expect(run.timedOut, `the child hung (killed after ${DEADLINE_MS} ms); stderr: ${run.stderr}`).toBe(false);
      expect(run.code, `child failed: ${run.stderr}`).toBe(0);
      const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as unknown);
      expect(lines).toEqual([
        { name: 'closed', reason: 'error', code: 'ERR_INVALID_STATE', readableLocked: false },
        { name: 'closing', reason: 'error', code: 'ERR_INVALID_STATE', readableLocked: false },
      ]);
    }, DEADLINE_MS + 10_000);
  }
});
