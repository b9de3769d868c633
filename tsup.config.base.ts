import { defineConfig } from 'tsup';

/** One build for every package: ESM + CJS, each with its own `.d.ts`, from an explicit entry. */
export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
});
