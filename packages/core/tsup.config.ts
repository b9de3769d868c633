import { defineConfig } from 'tsup';
import base from '../../tsup.config.base';

// A second entry: the datagram endpoints, kept out of the main (browser) bundle.
// No shared chunk: the main entry stays one self-contained file (the browser bundle check).
export default defineConfig({ ...(base as object), entry: { index: 'src/index.ts', datagram: 'src/datagram-index.ts' }, splitting: false });
