// In-memory throughput: spliceStreams vs plain pipeTo on the same streams
// (issue 2). Run under any runtime: node|bun|deno bench/memory.mjs [--json]
// Needs `pnpm build` first (imports the built package).
import { spliceStreams } from '../packages/core/dist/index.js';
import { median } from './_stats.mjs';

const runtime = globalThis.Deno ? `deno ${Deno.version.deno}` : globalThis.Bun ? `bun ${Bun.version}` : `node ${process.versions.node}`;
const RUNS = 5;
// Sized by chunk count: the sink does nothing, so the cost is per chunk.
const CHUNKS = 100_000;

function source(chunkSize, total, bytes) {
  const chunk = new Uint8Array(chunkSize).fill(7);
  let left = total / chunkSize;
  // The same chunk object each time: this measures the machinery, not allocation.
  return bytes
    ? new ReadableStream({ type: 'bytes', pull(c) { if (left-- > 0) c.enqueue(chunk.slice()); else { c.close(); c.byobRequest?.respond(0); } } })
    : new ReadableStream({ pull(c) { if (left-- > 0) c.enqueue(chunk); else c.close(); } }, { highWaterMark: 4 });
}
const sink = () => new WritableStream({ write() {} }, { highWaterMark: 4 });

const ways = {
  pipeTo: (size, total) => source(size, total, false).pipeTo(sink()),
  spliceStreams: async (size, total) => { await spliceStreams(source(size, total, false), sink()).done; },
  'pipeTo (byte source)': (size, total) => source(size, total, true).pipeTo(sink()),
  'spliceStreams (byte source)': async (size, total) => { await spliceStreams(source(size, total, true), sink()).done; },
  'spliceStreams (byte source, max)': async (size, total) => { await spliceStreams(source(size, total, true), sink(), { max: total }).done; },
};

const rows = [];
for (const size of [1024, 16384, 65536]) {
  const total = CHUNKS * size;
  for (const way of Object.values(ways)) await way(size, total / 10); // warm-up
  const times = Object.fromEntries(Object.keys(ways).map((k) => [k, []]));
  for (let run = 0; run < RUNS; run++) {
    // Interleave the ways so machine noise hits them alike.
    for (const [name, way] of Object.entries(ways)) {
      const t0 = performance.now();
      await way(size, total);
      times[name].push(performance.now() - t0);
    }
  }
  for (const name of Object.keys(ways)) {
    const ms = median(times[name]);
    rows.push({ runtime, chunk: size, way: name, mibPerSec: total / 1048576 / (ms / 1000) });
  }
}
const base = (chunk, bytes) => rows.find((r) => r.chunk === chunk && r.way === (bytes ? 'pipeTo (byte source)' : 'pipeTo')).mibPerSec;
for (const r of rows) r.vsPipeTo = r.mibPerSec / base(r.chunk, r.way.includes('byte'));
if (process.argv.includes('--json')) console.log(JSON.stringify(rows));
else {
  console.log(`${runtime}: median of ${RUNS} runs, MiB/s (ratio to pipeTo on the same kind of source)`);
  for (const r of rows) console.log(`${String(r.chunk).padStart(6)}  ${r.way.padEnd(34)} ${r.mibPerSec.toFixed(0).padStart(6)}  ${r.vsPipeTo.toFixed(2)}x`);
}
