/**
 * Reliability (issue 7) under Node 20 and 24, over loopback TCP through
 * `@sosplice/node-adapter`, on the direct dispatch path and the generic path.
 */
import { describe } from 'vitest';
import type { NodeSpliceSocket } from '@sosplice/node-adapter';
import type { SpliceEndpoint } from '@sosplice/core';
import { nodeHarness } from '../harness/node';
import { v8HeapAfterGc, type RuntimeHooks } from './_common';
import { describeLoad } from './_load';
import { describePropertySockets } from './_property-sockets';
import { describeFaults } from './_faults';
import { describeRaces } from './_races';
import { knownBug, writeResultsAfterAll } from './_record';

writeResultsAfterAll('node');

// Reported (issue 7 report): an abort fired inside socket.write() settles the splice before
// the direct path counts the chunk it just wrote: result.bytes misses it, splice.bytes keeps counting.
knownBug('node:tcp:direct', "an abort fired inside the drain socket's write call", 'result.bytes misses the chunk being written; splice.bytes != result.bytes');

const SOCKETS = new Set(['TCPSocketWrap', 'TCPWrap', 'PipeWrap', 'TLSWrap']);

/** Node's own counters: `process.getActiveResourcesInfo()` lists every live handle and timer. */
const hooks: RuntimeHooks = {
  onSocketWrite(endpoint: SpliceEndpoint, hook: (bytes: number) => void) {
    const socket = (endpoint as NodeSpliceSocket).socket;
    const write = socket.write;
    // Both paths write through socket.write (direct.ts, writable.ts): the hook runs inside that call.
    socket.write = function (this: typeof socket, chunk: Uint8Array, ...rest: unknown[]) {
      const room = (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
      hook(chunk.byteLength);
      return room;
    } as typeof socket.write;
  },
  openSockets: () => process.getActiveResourcesInfo().filter((name) => SOCKETS.has(name)).length,
  activeHandles: () => process.getActiveResourcesInfo(),
  heapAfterGc: v8HeapAfterGc,
};

for (const direct of [true, false]) {
  describe(`node:tcp:${direct ? 'direct' : 'generic'}`, () => {
    describeFaults(nodeHarness({ direct, transport: 'tcp' }), 'reliability', hooks);
    describeRaces(nodeHarness({ direct, transport: 'tcp' }), 'reliability', hooks);
    describePropertySockets(nodeHarness({ direct, transport: 'tcp' }), 'reliability', hooks);
    describeLoad(nodeHarness({ direct, transport: 'tcp' }), 'reliability', hooks, { pairs: 1000, sequential: 300 });
  });
}
