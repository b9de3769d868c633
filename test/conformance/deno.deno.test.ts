/**
 * The conformance suite under Deno over real loopback sockets through
 * `@sosplice/deno-adapter`: the direct dispatch path and the generic Web
 * Streams path on the same kind of conns, over TCP, and TLS and Unix.
 * `lazy`: the adapter's sockets make their streams on first access
 * (SPEC 6.2), so the lazy-endpoint section runs on every factory.
 */
import { describeConformance } from './_suite';
import { denoHarness, type DenoHarnessOptions } from '../harness/deno';

const lazy = (options: DenoHarnessOptions) => Object.assign(denoHarness(options), { lazy: true });

describeConformance(lazy({ direct: true, transport: 'tcp' }), 'deno:tcp:direct');
describeConformance(lazy({ direct: false, transport: 'tcp' }), 'deno:tcp:generic');
describeConformance(lazy({ direct: true, transport: 'unix' }), 'deno:unix:direct');
describeConformance(lazy({ direct: true, transport: 'tls' }), 'deno:tls:direct');
describeConformance(lazy({ direct: false, transport: 'tls' }), 'deno:tls:generic');
