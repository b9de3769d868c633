import { it, expect } from 'vitest';
import { spliceStreams } from '@sosplice/core';
import { DenoLoopback } from '../harness/deno';
import { concat, pattern, checksum, until, withTimeout } from '../harness/_util';
import { drainToEnd } from './_common';

for (const direct of [true, false]) it(`deno unsplice mid-transfer conserves, direct=${direct}`, async () => {
  const loop = new DenoLoopback({ direct });
  let bad = 0;
  for (let k = 0; k < 10; k++) {
    const a = await loop.pair(); const b = await loop.pair();
    const input = pattern(2 << 20, k);
    const s = spliceStreams(a.endpoint.readable, b.endpoint.writable);
    let at = 0, stop = false;
    const sending = (async () => { while (!stop && at < input.byteLength) { const n = Math.min(16384, input.byteLength - at); await a.peer.write(input.subarray(at, at + n)); at += n; } })();
    await b.peer.receivedAtLeast(1000 + k * 20000);
    const r = await s.unsplice();
    stop = true;
    const rest = drainToEnd(a.endpoint.readable);
    await sending; await a.peer.end();
    await withTimeout(b.peer.receivedAtLeast(r.bytes), 5000, 'recv');
    const got = concat(b.peer.received(), await rest);
    const ok = checksum(got) === checksum(input.subarray(0, at));
    if (!ok) bad++;
    console.log(direct, k, r.reason, r.bytes, b.peer.received().byteLength, got.byteLength, at, ok);
  }
  await loop.dispose();
  expect(bad).toBe(0);
});
