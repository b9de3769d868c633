#!/usr/bin/env node
// What a new user meets first, checked on every test run: every package packed
// as it would be published (`pnpm pack`), installed with npm into a fresh
// project outside the workspace, each README example run there on Node 20,
// Node 24 (ESM and CJS), Bun and Deno, and the project type-checked under a
// matrix of compiler settings; then `deno publish --dry-run`.
// Usage: node test/consumer/run.mjs [--keep]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runExamples } from './_examples.mjs';
import { jsrDryRun } from './_jsr.mjs';
import { makeProject } from './_project.mjs';
import { typecheckMatrix } from './_typecheck.mjs';

const { values } = parseArgs({ options: { keep: { type: 'boolean', default: false } } });
const started = Date.now();
const dir = mkdtempSync(join(tmpdir(), 'sosplice-consumer-'));
let results;
try {
  console.log(`\n=== consumer project (${dir}) ===`);
  makeProject(dir);
  results = [...(await runExamples(dir)), ...(await typecheckMatrix(dir)), ...(await jsrDryRun())];
} finally {
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
}
for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'}  ${r.name}  ${r.ok ? r.detail : `\n${r.detail.replace(/^/gm, '      ')}`}`);
const failed = results.filter((r) => !r.ok).length;
console.log(`\nconsumer project: ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`consumer: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
