/**
 * Reliability (issue 7) under Deno, over loopback TCP through
 * `@sosplice/deno-adapter`, on the direct dispatch path and the generic path.
 *
 * Deno 2 has no `Deno.resources()`, and its `process.getActiveResourcesInfo()`
 * lists timers but not `Deno.Conn`s: open sockets are counted from the
 * kernel's view of this process (/proc/self/fd); the heap through V8's gc.
 */
import { describe } from 'vitest';
import type { SpliceEndpoint } from '@sosplice/core';
import type { DenoSocket } from '@sosplice/deno-adapter';
import { denoHarness } from '../harness/deno';
import { procSockets, v8HeapAfterGc, type RuntimeHooks } from './_common';
import { describeFaults } from './_faults';
import { describeLoad } from './_load';
import { describePropertySockets } from './_property-sockets';
import { describeRaces } from './_races';
import { knownBug, writeResultsAfterAll } from './_record';

writeResultsAfterAll('deno');

// Reported (issue 7 report): an unsplice while the direct run's conn.read() is pending drops
// that read's bytes (direct.ts: `if (n === STOLEN || this.stopped) return;`): up to 64 KiB lost.
knownBug('deno:tcp:direct', "an abort fired from the drain peer's receive callback", 'unsplice during a pending direct read loses that read (64 KiB)');
knownBug('deno:tcp:direct', "an abort fired inside the drain socket's write call", 'unsplice during a pending direct read loses that read (64 KiB)');

const hooks: RuntimeHooks = {
  onSocketWrite(endpoint: SpliceEndpoint, hook: (bytes: number) => void) {
    const conn = (endpoint as DenoSocket).conn as unknown as { write(bytes: Uint8Array): Promise<number> };
    const write = conn.write;
    conn.write = function (this: unknown, bytes: Uint8Array): Promise<number> {
      const written = write.call(this, bytes);
      hook(bytes.byteLength);
      return written;
    };
  },
  openSockets: procSockets,
  activeHandles: () => process.getActiveResourcesInfo(),
  heapAfterGc: v8HeapAfterGc,
};

for (const direct of [true, false]) {
  describe(`deno:tcp:${direct ? 'direct' : 'generic'}`, () => {
    describeFaults(denoHarness({ direct, transport: 'tcp' }), 'reliability', hooks);
    describeRaces(denoHarness({ direct, transport: 'tcp' }), 'reliability', hooks);
    describePropertySockets(denoHarness({ direct, transport: 'tcp' }), 'reliability', hooks);
    describeLoad(denoHarness({ direct, transport: 'tcp' }), 'reliability', hooks, { pairs: 1000, sequential: 300 });
  });
}
