/**
 * The conformance suite under Bun over real loopback sockets through
 * `@sosplice/bun-adapter`: the direct dispatch path and the generic Web
 * Streams path on the same kind of sockets, over TCP, Unix and TLS.
 * (Unix sockets have no RST: the harness's reset closes the peer with a byte
 * left unread, which Linux reports to the endpoint as ECONNRESET.)
 */
import { describeConformance } from './_suite';
import { bunHarness, type BunHarnessOptions } from '../harness/bun';
import { kernelAvailable, pathName, provingKernelPath } from '../harness/_kernel';

// The kernel path wherever the addon is built (Linux with a C compiler); elsewhere the adapter's JS paths only.
const kernel: BunHarnessOptions[] = kernelAvailable() ? [{ direct: true, kernel: true, transport: 'tcp' }, { direct: true, kernel: true, transport: 'unix' }] : [];
const runs: BunHarnessOptions[] = [
  ...kernel,
  { direct: true, transport: 'tcp' },
  { direct: false, transport: 'tcp' },
  { direct: true, transport: 'unix' },
  { direct: false, transport: 'unix' },
  { direct: true, transport: 'tls' },
  { direct: false, transport: 'tls' },
];
for (const options of runs) {
  const factory = options.kernel ? provingKernelPath(bunHarness(options)) : bunHarness(options);
  describeConformance(factory, `bun:${options.transport}:${pathName(options)}`);
}
