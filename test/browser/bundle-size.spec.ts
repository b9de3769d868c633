/**
 * The core's browser bundle stays small: the published ESM build
 * (packages/core/dist, made by `pnpm build`) bundled by esbuild for the
 * browser, minified, then gzipped, as an application's bundler and a static
 * server would ship it. The figure is in packages/core/README.md.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../../packages/core/dist/index.js', import.meta.url));

// Measured at 4.2 KB gzipped when this check came in, and 6.6 KB once the
// core gained the WPT fixes, linked pairs, readUntil, the datagram mark and the diagnostics
// channels. The ceiling leaves room for the core to grow by features, and
// still trips on what must never happen: a dependency or a runtime module
// pulled into the bundle (web-streams-polyfill alone is about 15 KB gzipped).
// Datagram endpoints live on their own subpath and are not in this bundle.
const CEILING_GZIPPED = 8 * 1024;

describe('@sosplice/core in a browser bundle', () => {
  it(`is at most ${CEILING_GZIPPED} bytes minified and gzipped, with no imports left`, async () => {
    expect(existsSync(entry), `${entry} is missing: run \`pnpm build\` first`).toBe(true);
    const out = await build({
      entryPoints: [entry],
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      metafile: true,
    });
    const [file] = out.outputFiles;
    if (!file) throw new Error('esbuild wrote no bundle');
    const code = file.contents;
    const gzipped = gzipSync(code, { level: 9 }).byteLength;
    console.log(`@sosplice/core browser bundle: ${code.byteLength} B minified, ${gzipped} B gzipped`);
    // The core has no runtime imports: its one input is its own build.
    expect(Object.keys(out.metafile.inputs)).toEqual([expect.stringMatching(/packages\/core\/dist\/index\.js$/)]);
    expect(gzipped).toBeLessThanOrEqual(CEILING_GZIPPED);
  });
});
