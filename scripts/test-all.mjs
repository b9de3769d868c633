#!/usr/bin/env node
// Runs the one vitest suite under every launcher (vitest runs under Bun
// and Deno too, and drives the system's browsers) and ends with a
// per-runtime pass/fail count. vitest gives each launcher one worker on a
// 2-core machine, so two launchers side by side use both cores (`--jobs`,
// default 2); each one's output is printed whole when it ends.
// A failed test is run once more (vitest's --retry=1; pass --retry=0 to
// turn it off): a test that fails again fails the run; one that passes the
// second time is listed at the end as flaky, with its first failure, so a
// flake on a loaded machine is seen and fixed rather than hidden or fatal.
// Usage: node scripts/test-all.mjs [--only node20,node24,bun,deno,chromium,firefox] [--jobs N] [vitest args...]
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { machineNode } from '../examples/_runtimes.mjs';

const root = new URL('..', import.meta.url).pathname;
const bin = (name) => join(root, 'node_modules/.bin', name);
const vitest = join(root, 'node_modules/vitest/vitest.mjs');

const launchers = {
  node20: [machineNode(), vitest],
  node24: [bin('node'), vitest],
  bun: [bin('bun'), '--bun', vitest],
  // --unstable-net: Deno.listenDatagram (the datagram endpoints, SPEC 7).
  deno: [bin('deno'), 'run', '-A', '--unstable-net', '--node-modules-dir=manual', vitest],
  // The system's browsers (vitest browser mode); the scripts answer --version too.
  chromium: [join(root, 'test/browser/launch-chromium.mjs')],
  firefox: [join(root, 'test/browser/launch-firefox.mjs')],
};

// --only is ours; every other argument (files, vitest's flags) goes to vitest as given.
const argv = process.argv.slice(2);
const { values, tokens } = parseArgs({ args: argv, options: { only: { type: 'string' }, jobs: { type: 'string' } }, strict: false, allowPositionals: true, tokens: true });
const ours = new Set();
for (const t of tokens) if (t.kind === 'option' && (t.name === 'only' || t.name === 'jobs')) ours.add(t.index).add(t.inlineValue ? t.index : t.index + 1);
const args = argv.filter((_, i) => !ours.has(i));
if (!args.some((a) => a === '--retry' || a.startsWith('--retry='))) args.push('--retry=1');
const only = values.only?.split(',') ?? Object.keys(launchers);
const unknown = only.filter((name) => !(name in launchers));
if (unknown.length > 0) {
  console.error(`test-all: unknown launcher ${unknown.join(', ')}; known: ${Object.keys(launchers).join(', ')}`);
  process.exit(2);
}
const jobs = Number(values.jobs ?? 2);
if (!Number.isInteger(jobs) || jobs < 1) {
  console.error(`test-all: --jobs must be a positive integer, got ${values.jobs}`);
  process.exit(2);
}

const outDir = join(root, 'node_modules/.cache/sosplice-test');
mkdirSync(outDir, { recursive: true });

/** Runs one launcher; with `live`, its output streams to ours, otherwise to a log printed at its end. */
async function runLauncher(name, live) {
  const [cmd, ...pre] = launchers[name];
  const report = join(outDir, `${name}.json`);
  const logFile = join(outDir, `${name}.log`);
  rmSync(report, { force: true });
  const version = spawnSync(cmd, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0].trim();
  const banner = `\n=== ${name} (${cmd}, ${version}) ===`;
  if (live) console.log(banner);
  const started = Date.now();
  const child = spawn(cmd, [...pre, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...args], {
    cwd: root,
    stdio: live ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    // Deno would otherwise ask the network for updates at every start.
    env: { ...process.env, SOSPLICE_RUNTIME: name, DENO_NO_UPDATE_CHECK: '1' },
  });
  if (!live) {
    const log = createWriteStream(logFile);
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
  }
  const status = await new Promise((resolve) => child.on('close', (code) => resolve(code)));
  if (!live) {
    console.log(`${banner}\n${readFileSync(logFile, 'utf8')}`);
  }
  const row = { name, passed: 0, failed: 0, skipped: 0, seconds: (Date.now() - started) / 1000, exit: status, flaky: [] };
  if (existsSync(report)) {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    // Passed, with the failure of an earlier attempt kept: passed on its retry.
    for (const file of json.testResults ?? []) {
      for (const t of file.assertionResults ?? []) {
        if (t.status === 'passed' && t.failureMessages?.length > 0) row.flaky.push(`${t.fullName}: ${t.failureMessages[0].split('\n')[0]}`);
      }
    }
    row.passed = json.numPassedTests;
    row.failed = json.numFailedTests + (json.numFailedTestSuites ?? 0);
    row.skipped = json.numPendingTests + json.numTodoTests;
  } else {
    row.failed = 1; // the runner itself failed to produce a report
  }
  if (status !== 0 && row.failed === 0) row.failed = 1;
  return row;
}

// A pool of `jobs` launchers, started in the order given (the longest first by default).
const rows = new Map();
const queue = [...only];
const live = jobs === 1 || only.length === 1;
async function worker() {
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) rows.set(name, await runLauncher(name, live));
}
await Promise.all(Array.from({ length: Math.min(jobs, only.length) }, worker));

console.log('\nruntime   passed  failed  skipped  seconds');
for (const r of only.map((name) => rows.get(name))) {
  console.log(`${r.name.padEnd(8)}  ${String(r.passed).padStart(6)}  ${String(r.failed).padStart(6)}  ${String(r.skipped).padStart(7)}  ${r.seconds.toFixed(1).padStart(7)}`);
}
const passed = [...rows.values()].reduce((s, r) => s + r.passed, 0);
const failed = [...rows.values()].reduce((s, r) => s + r.failed, 0);
const flaky = only.flatMap((name) => rows.get(name).flaky.map((line) => `  ${name}: ${line}`));
if (flaky.length > 0) console.log(`\nflaky: failed once, passed on the retry (fix these):\n${flaky.join('\n')}`);
console.log(`\n${passed} passed, ${failed} failed${flaky.length > 0 ? `, ${flaky.length} flaky` : ''}`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
