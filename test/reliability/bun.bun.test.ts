/**
 * Reliability (issue 7) under Bun, over loopback TCP through
 * `@sosplice/bun-adapter`, on the direct dispatch path and the generic path.
 *
 * Bun lists no handles (`process.getActiveResourcesInfo()` is empty): open
 * sockets are counted from the kernel's view of this process (/proc/self/fd),
 * timers through the core's `idleClockStats()`, the heap after `Bun.gc(true)`.
 */
import { describe } from 'vitest';
import type { SpliceEndpoint } from '@sosplice/core';
import type { BunSpliceSocket } from '@sosplice/bun-adapter';
import { bunHarness } from '../harness/bun';
import { procSockets, type RuntimeHooks } from './_common';
import { describeFaults } from './_faults';
import { describeLoad } from './_load';
import { describePropertySockets } from './_property-sockets';
import { describeRaces } from './_races';
import { knownBug, writeResultsAfterAll } from './_record';

writeResultsAfterAll('bun');

// Reported (issue 7 report): an abort fired inside socket.write() settles the splice before
// the direct path counts what it wrote: result.bytes misses it, splice.bytes keeps counting.
knownBug('bun:tcp:direct', "an abort fired inside the drain socket's write call", 'result.bytes misses the bytes being written; splice.bytes != result.bytes');

type BunGlobal = { gc(force: boolean): void };
const hooks: RuntimeHooks = {
  onSocketWrite(endpoint: SpliceEndpoint, hook: (bytes: number) => void) {
    const socket = (endpoint as BunSpliceSocket).socket as unknown as { write(bytes: Uint8Array): number };
    const write = socket.write;
    socket.write = function (this: unknown, bytes: Uint8Array): number {
      const n = write.call(this, bytes);
      if (n > 0) hook(n);
      return n;
    };
  },
  // Reported (issue 7 report): a reset drain that is being written fails with the adapter's
  // own ERR_SOCKET_CLOSED (Bun's write() returned -1 before its close/error handler ran).
  known: { drainResetReadsAsClosed: true },
  openSockets: procSockets,
  activeHandles: () => [],
  async heapAfterGc() {
    const bun = (globalThis as unknown as { Bun: BunGlobal }).Bun;
    for (let i = 0; i < 3; i++) {
      bun.gc(true);
      await new Promise((r) => setTimeout(r, 10));
    }
    return process.memoryUsage().heapUsed;
  },
};

for (const direct of [true, false]) {
  describe(`bun:tcp:${direct ? 'direct' : 'generic'}`, () => {
    describeFaults(bunHarness({ direct, transport: 'tcp' }), 'reliability', hooks);
    describeRaces(bunHarness({ direct, transport: 'tcp' }), 'reliability', hooks);
    describePropertySockets(bunHarness({ direct, transport: 'tcp' }), 'reliability', hooks);
    describeLoad(bunHarness({ direct, transport: 'tcp' }), 'reliability', hooks, { pairs: 1000, sequential: 300 });
  });
}
