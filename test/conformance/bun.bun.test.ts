/**
 * The conformance suite under Bun over real loopback sockets through
 * `@sosplice/bun-adapter`: the direct dispatch path and the generic Web
 * Streams path on the same kind of sockets, over TCP and TLS.
 *
 * Not over Unix sockets: a Unix stream socket has no RST (a peer that closes
 * reads as EOF), so `Peer.reset()` cannot be kept there. Unix sockets are
 * covered by test/bun-adapter/proxy.bun.test.ts.
 */
import { describeConformance } from './_suite';
import { bunHarness, type BunHarnessOptions } from '../harness/bun';

const runs: BunHarnessOptions[] = [
  { direct: true, transport: 'tcp' },
  { direct: false, transport: 'tcp' },
  { direct: true, transport: 'tls' },
  { direct: false, transport: 'tls' },
];
for (const options of runs) {
  describeConformance(bunHarness(options), `bun:${options.transport}:${options.direct ? 'direct' : 'generic'}`);
}
