import { defineConfig } from 'tsup';
import base from '../../tsup.config.base';

// The types name Symbol.asyncDispose (`await using`): the lib reference lets a
// consumer compile without `esnext.disposable` in its `lib` or `@types/node`
// (a browser or worker config), instead of TS2550. A second entry: the
// datagram endpoints, kept out of the main (browser) bundle; no shared chunk,
// so the main entry stays one self-contained file (the browser bundle check).
export default defineConfig({
  ...(base as object),
  entry: { index: 'src/index.ts', datagram: 'src/datagram-index.ts', socket: 'src/socket/index.ts' },
  splitting: false,
  dts: { banner: '/// <reference lib="esnext.disposable" />' },
});
