/**
 * The conformance suite under Node (20 and 24) over real loopback sockets
 * through `@sosplice/node-adapter`: the kernel path (`@sosplice/native`),
 * the JS direct dispatch path and the generic Web Streams path on the same
 * kind of sockets, over TCP (IPv4 and IPv6), and TLS and Unix.
 */
import { describeConformance } from './_suite';
import { nodeHarness } from '../harness/node';
import { kernelAvailable, provingKernelPath } from '../harness/_kernel';

// The kernel path wherever the addon is built (Linux with a C compiler); elsewhere the adapter's JS paths only.
if (kernelAvailable()) {
  describeConformance(provingKernelPath(nodeHarness({ direct: true, kernel: true, transport: 'tcp' })), 'node:tcp:kernel');
  describeConformance(provingKernelPath(nodeHarness({ direct: true, kernel: true, transport: 'unix' })), 'node:unix:kernel');
}

describeConformance(nodeHarness({ direct: true, transport: 'tcp' }), 'node:tcp:direct');
describeConformance(nodeHarness({ direct: false, transport: 'tcp' }), 'node:tcp:generic');
describeConformance(nodeHarness({ direct: true, transport: 'tcp6' }), 'node:tcp6:direct');
describeConformance(nodeHarness({ direct: true, transport: 'unix' }), 'node:unix:direct');
describeConformance(nodeHarness({ direct: false, transport: 'unix' }), 'node:unix:generic');
describeConformance(nodeHarness({ direct: true, transport: 'tls' }), 'node:tls:direct');
describeConformance(nodeHarness({ direct: false, transport: 'tls' }), 'node:tls:generic');
