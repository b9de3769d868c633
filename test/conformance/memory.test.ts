/**
 * The conformance suite over in-memory endpoints: the runtime's own Web
 * Streams and web-streams-polyfill, each as byte and as default sources.
 * No runtime suffix: it runs under every launcher.
 */
import { describeConformance } from './_suite';
import { memoryHarness } from '../harness/memory';

for (const impl of ['native', 'polyfill'] as const) {
  for (const byteStream of [true, false]) {
    // Plain stream pairs: every promise of the lazy section holds for them too (its no-Web-Streams case asserts on direct harnesses only).
    describeConformance(memoryHarness({ impl, byteStream }), `memory:${impl}:${byteStream ? 'bytes' : 'default'}`);
  }
}
