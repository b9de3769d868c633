/**
 * The conformance suite over socket endpoints built on the kit
 * (`@sosplice/core/socket`) with an in-memory transport (test/harness/kit.ts):
 * the kit's direct path (endpoint-level and stream-level marks) and its
 * stream path, over a push transport and over a pull-based one (the kit's
 * `PullTransport`, as Deno's conns need), in every launcher, browsers included.
 */
import { describeConformance } from './_suite';
import { kitHarness } from '../harness/kit';

describeConformance(kitHarness({ direct: true }), 'kit:memory:direct');
describeConformance(kitHarness({ direct: false }), 'kit:memory:generic');
// The pull transport on the direct path; its stream path is the same kit streams as kit:memory:generic.
describeConformance(kitHarness({ direct: true, pull: true }), 'kit:pull:direct');
