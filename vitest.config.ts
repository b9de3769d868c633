import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// One suite, four launchers (scripts/test-all.mjs): Node 20, Node 24, Bun, Deno.
// Files named `*.node.test.ts`, `*.bun.test.ts`, `*.deno.test.ts` only run in
// that runtime; every other `*.test.ts` runs everywhere.
const g = globalThis as { Bun?: unknown; Deno?: unknown };
const runtime = g.Deno ? 'deno' : g.Bun ? 'bun' : 'node';
const others = ['node', 'bun', 'deno'].filter((r) => r !== runtime);

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      // Before '@sosplice/core', which would match it as a prefix.
      '@sosplice/core/datagram': fileURLToPath(new URL('./packages/core/src/datagram-index.ts', import.meta.url)),
      '@sosplice/core/socket': fileURLToPath(new URL('./packages/core/src/socket/index.ts', import.meta.url)),
      '@sosplice/core': src('core'),
      '@sosplice/node-adapter': src('node-adapter'),
      '@sosplice/bun-adapter': src('bun-adapter'),
      '@sosplice/deno-adapter': src('deno-adapter'),
      '@sosplice/native': src('native'),
    },
  },
  test: {
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/**/*.test.ts'],
    exclude: ['**/node_modules/**', ...others.map((r) => `**/*.${r}.test.ts`)],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Socket tests are many small loopback servers; files in parallel is fine on 2 cores.
    fileParallelism: true,
  },
});
