/**
 * The conformance suite under Bun over real loopback sockets through
 * `@sosplice/bun-adapter`: the direct dispatch path and the generic Web
 * Streams path on the same kind of sockets, over TCP, Unix and TLS.
 * (Unix sockets have no RST: the harness's reset closes the peer with a byte
 * left unread, which Linux reports to the endpoint as ECONNRESET.)
 */
import { describeConformance } from './_suite';
import { bunHarness, type BunHarnessOptions } from '../harness/bun';
import { pathName } from '../harness/_kernel';

const runs: BunHarnessOptions[] = [
  { direct: true, transport: 'tcp' },
  { direct: true, kernel: true, transport: 'tcp' },
  { direct: false, transport: 'tcp' },
  { direct: true, transport: 'unix' },
  { direct: true, kernel: true, transport: 'unix' },
  { direct: false, transport: 'unix' },
  { direct: true, transport: 'tls' },
  { direct: false, transport: 'tls' },
];
for (const options of runs) {
  describeConformance(bunHarness(options), `bun:${options.transport}:${pathName(options)}`);
}
