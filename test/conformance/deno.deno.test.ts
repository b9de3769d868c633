/**
 * The conformance suite under Deno over real loopback sockets through
 * `@sosplice/deno-adapter`: the direct dispatch path and the generic Web
 * Streams path on the same kind of conns, over TCP, and TLS and Unix.
 */
import { describeConformance } from './_suite';
import { denoHarness } from '../harness/deno';

describeConformance(denoHarness({ direct: true, transport: 'tcp' }), 'deno:tcp:direct');
describeConformance(denoHarness({ direct: false, transport: 'tcp' }), 'deno:tcp:generic');
describeConformance(denoHarness({ direct: true, transport: 'unix' }), 'deno:unix:direct');
describeConformance(denoHarness({ direct: true, transport: 'tls' }), 'deno:tls:direct');
describeConformance(denoHarness({ direct: false, transport: 'tls' }), 'deno:tls:generic');
