// The consumer project type-checked with `skipLibCheck: false` under the
// repo's TypeScript 5 and the latest TypeScript, for module node16, nodenext
// and bundler, with and without esModuleInterop (TypeScript 7 removed
// `esModuleInterop: false`), and the core alone under a DOM-only lib.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from '../../examples/_runtimes.mjs';
import { checkCommand } from './_project.mjs';

const COMPILERS = {
  'ts5': join(root, 'node_modules/typescript/bin/tsc'),
  'ts-latest': join(root, 'node_modules/typescript-latest/bin/tsc'),
};

function* configs() {
  for (const [ts, tsc] of Object.entries(COMPILERS)) {
    for (const mod of ['node16', 'nodenext', 'bundler']) {
      for (const esModuleInterop of ts === 'ts5' ? [true, false] : [true]) {
        yield {
          name: `${ts} module=${mod} esModuleInterop=${esModuleInterop}`,
          tsc,
          options: {
            module: mod === 'bundler' ? 'esnext' : mod,
            moduleResolution: mod,
            esModuleInterop,
            lib: ['es2022'],
            types: ['node'],
          },
          // A .cts file is CommonJS only under the node module modes.
          files: mod === 'bundler' ? ['check.mts'] : ['check.mts', 'check.cts'],
        };
      }
    }
    yield {
      name: `${ts} core with lib es2022+dom, no @types/node`,
      tsc,
      options: { module: 'esnext', moduleResolution: 'bundler', lib: ['es2022', 'dom'], types: [] },
      files: ['core-dom.mts'],
    };
  }
}

/** Runs every config, two compilers at a time (the machine has two cores). */
export async function typecheckMatrix(dir) {
  const jobs = [...configs()].map((config, n) => () => check(dir, config, `tsconfig.${n}.json`));
  const results = Array.from({ length: jobs.length });
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all([worker(), worker()]);
  return results;
}

function check(dir, config, file) {
  const compilerOptions = { strict: true, noEmit: true, skipLibCheck: false, target: 'es2022', ...config.options };
  writeFileSync(join(dir, file), JSON.stringify({ compilerOptions, files: config.files }, null, 2));
  return checkCommand(config.name, process.execPath, [config.tsc, '-p', file], { cwd: dir });
}
