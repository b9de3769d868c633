/**
 * The conformance suite under Bun over real loopback sockets through
 * `@sosplice/bun-adapter`: the direct dispatch path and the generic Web
 * Streams path on the same kind of sockets, over TCP, and TLS and Unix.
 */
import { describeConformance } from './_suite';
import { bunHarness } from '../harness/bun';

describeConformance(bunHarness({ direct: true, transport: 'tcp' }));
describeConformance(bunHarness({ direct: false, transport: 'tcp' }));
describeConformance(bunHarness({ direct: true, transport: 'unix' }));
describeConformance(bunHarness({ direct: true, transport: 'tls' }));
