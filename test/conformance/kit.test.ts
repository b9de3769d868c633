/**
 * The conformance suite over socket endpoints built on the kit
 * (`@sosplice/core/socket`) with an in-memory transport (test/harness/kit.ts):
 * the kit's direct path (endpoint-level and stream-level marks) and its
 * stream path, in every launcher, browsers included.
 */
import { describeConformance } from './_suite';
import { kitHarness } from '../harness/kit';

describeConformance(kitHarness({ direct: true }), 'kit:memory:direct');
describeConformance(kitHarness({ direct: false }), 'kit:memory:generic');
