import { defineConfig } from 'tsup';
import base from '../../tsup.config.base';

// The types name Symbol.asyncDispose (`await using`): the lib reference lets a
// consumer compile without `esnext.disposable` in its `lib` or `@types/node`
// (a browser or worker config), instead of TS2550.
export default defineConfig({ ...base, dts: { banner: '/// <reference lib="esnext.disposable" />' } });
