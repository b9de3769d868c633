/**
 * Benchmark (not a test): 2 GiB+ per run through a loopback proxy process,
 * for each proxy engine of `_proxy-child.ts`. Measures the proxy's CPU
 * seconds per GiB (utime + stime from /proc/<pid>/stat over the transfer),
 * throughput, and peak RSS (VmHWM). Runs engines round-robin, `RUNS` rounds,
 * and reports medians plus same-round ratios against the hand-written loop
 * (the machine has 2 shared cores: only ratios within a round are fair).
 *
 * Usage: deno run -A --config bench/deno/deno.json bench/deno/proxy.ts [--gib 2] [--runs 3] [--out bench/results/deno.md]
 */
import { parseArgs } from 'node:util';
import { median } from '../_stats.mjs';
import { D } from './_deno.js';
import { measureRun, type RunFigures } from './_measure.js';

const { values: args } = parseArgs({
  args: D.args,
  options: {
    gib: { type: 'string', default: '2' },
    runs: { type: 'string', default: '3' },
    out: { type: 'string', default: new URL('../results/deno.md', import.meta.url).pathname },
    engines: { type: 'string', default: 'pipeTo,loop,adapterPipeTo,generic,direct' },
  },
});
const GIB = Number(args.gib);
// Whole bytes: a fractional --gib (0.3) left a fraction of a byte the writer could never send (a hang).
const BYTES = Math.floor(GIB * 2 ** 30);
const RUNS = Number(args.runs);
const OUT = args.out;
const ENGINES = args.engines.split(',');

const results = new Map<string, RunFigures[]>(ENGINES.map((e) => [e, []]));
const ratios = new Map<string, number[]>(ENGINES.map((e) => [e, []]));
for (let round = 0; round < RUNS; round++) {
  const cpu = new Map<string, number>();
  for (const engine of ENGINES) {
    const r = await measureRun(engine, BYTES);
    results.get(engine)!.push(r);
    cpu.set(engine, r.cpuPerGiB);
    console.error(
      `round ${round + 1} ${engine.padEnd(8)} ${r.cpuPerGiB.toFixed(3)} CPU s/GiB (user ${r.userPerGiB.toFixed(3)})  ${r.gbitPerS.toFixed(2)} Gbit/s  ${r.peakRssMiB.toFixed(0)} MiB`,
    );
  }
  const base = cpu.get('loop');
  if (base !== undefined) for (const engine of ENGINES) ratios.get(engine)!.push(cpu.get(engine)! / base);
}

const rows = ENGINES.map((engine) => {
  const rs = results.get(engine)!;
  const ratio = ratios.get(engine)!;
  return `| ${engine} | ${median(rs.map((r) => r.cpuPerGiB)).toFixed(3)} | ${ratio.length ? median(ratio).toFixed(2) + 'x' : '-'} | ${median(rs.map((r) => r.gbitPerS)).toFixed(2)} | ${median(rs.map((r) => r.peakRssMiB)).toFixed(0)} | ${median(rs.map((r) => r.userPerGiB)).toFixed(3)} |`;
});
const deno = D.version.deno;
const table = [
  `# Deno proxy benchmark`,
  '',
  `Deno ${deno}, ${new Date().toISOString().slice(0, 16)}Z, ${GIB} GiB client → proxy → upstream per run, ${RUNS} rounds (engines round-robin), medians.`,
  'Proxy = a child process; CPU = its utime+stime over the transfer (/proc/<pid>/stat), user = its utime; RSS = its VmHWM.',
  'Ratio = median of same-round ratios to the hand-written read/write loop. Command: `deno run -A --config bench/deno/deno.json bench/deno/proxy.ts`.',
  '',
  '| engine | proxy CPU s/GiB | CPU vs loop | throughput Gbit/s | peak RSS MiB | user s/GiB |',
  '|---|---|---|---|---|---|',
  ...rows,
  '',
  'Engines: `pipeTo` = `conn.readable.pipeTo(other.writable)` both ways; `loop` = hand-written `read()`/`write()` loop, one 64 KiB buffer;',
  '`adapterPipeTo` = `pipeTo` between the adapter\'s streams (the adapter\'s stream cost without the core\'s pump);',
  '`generic` = `spliceBidirectional` over `@sosplice/deno-adapter` with `{ direct: false }` (Web Streams path); `direct` = the same with direct dispatch.',
  '',
].join('\n');
await D.writeTextFile(OUT, table);
console.log(table);
