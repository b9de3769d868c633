// A fresh npm project outside the workspace with every package installed
// from the tarball `pnpm pack` makes: what a user gets from the registry.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from '../../examples/_runtimes.mjs';

export const PACKAGES = ['core', 'native', 'node-adapter', 'bun-adapter', 'deno-adapter', 'cli'];

/** Runs a command to completion; throws with its output when it fails. */
export function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { encoding: 'utf8', ...options });
  if (result.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${result.status ?? result.signal}\n${result.stdout}${result.stderr}`);
  }
  return result.stdout;
}

/** Runs a command as one check: a result row `{ name, ok, detail }` (its time, or its output when it failed). */
export function checkCommand(name, cmd, args, options) {
  const started = Date.now();
  const child = spawn(cmd, args, options);
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return new Promise((resolve) => {
    child.on('close', (code) => {
      const ok = code === 0;
      resolve({ name, ok, detail: ok ? `${Date.now() - started} ms` : output.trim() });
    });
  });
}

// Under `pnpm test`, npm_execpath is the pnpm that runs us; run alone, npx fetches the pinned one.
function pnpm(args, cwd) {
  const execpath = process.env.npm_execpath ?? '';
  if (execpath.includes('pnpm')) return run(process.execPath, [execpath, ...args], { cwd });
  return run('npx', ['-y', 'pnpm@10.34.9', ...args], { cwd });
}

/** Packs each package into `dir`/packs and installs the tarballs with npm into `dir`. */
export function makeProject(dir) {
  const packs = join(dir, 'packs');
  mkdirSync(packs, { recursive: true });
  for (const name of PACKAGES) pnpm(['pack', '--pack-destination', packs], join(root, 'packages', name));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'sosplice-consumer', private: true, type: 'module' }, null, 2));
  // The packages have no dependency outside this set: nothing to download.
  const tarballs = readdirSync(packs).map((file) => `./packs/${file}`);
  run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], { cwd: dir });
  // Node's types for the typecheck, from the workspace (a user has them from npm).
  mkdirSync(join(dir, 'node_modules/@types'), { recursive: true });
  symlinkSync(realpathSync(join(root, 'node_modules/@types/node')), join(dir, 'node_modules/@types/node'));
  cpSync(join(root, 'test/consumer/fixtures'), dir, { recursive: true });
  return { dir, tarballs };
}
