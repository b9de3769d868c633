/**
 * Benchmark (not a test): one-way 2 GiB through a loopback proxy, the proxy
 * in its own process, for five ways of writing the same Bun proxy. Reports
 * medians of proxy CPU seconds per GiB, throughput and peak RSS, and the
 * direct path's ratios to the hand-written native proxy (issue 4 targets:
 * CPU/GiB <= 1.1x, throughput >= 0.95x). Writes bench/results/bun.md.
 *
 * Usage: bun bench/bun/proxy.ts [--gib 2] [--runs 5] [--variants native,direct,...]
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startSink, pushThrough } from './_load.js';
import { parseArgs } from 'node:util';
import { median } from '../_stats.mjs';

const VARIANTS: Record<string, string> = {
  native: 'hand-written Bun data/drain/pause proxy',
  'node-pipe': 'node:net `a.pipe(b)` under Bun',
  toweb: 'node:net `Duplex.toWeb` + `pipeTo`',
  generic: 'adapter, generic path (Web Streams)',
  direct: 'adapter, direct path',
};

const { values: args } = parseArgs({
  options: {
    gib: { type: 'string', default: '2' },
    runs: { type: 'string', default: '5' },
    variants: { type: 'string', default: Object.keys(VARIANTS).join(',') },
  },
});
const GIB = Number(args.gib);
const RUNS = Number(args.runs);
const variants = args.variants.split(',');
const TOTAL = Math.floor(GIB * 2 ** 30);
const RUN_LIMIT_S = 120;
const child = fileURLToPath(new URL('./_proxy-child.ts', import.meta.url));
const bunBin = process.execPath;

interface Sample {
  cpu: number;
  seconds: number;
  rss: number;
}

/** Reads newline-delimited JSON from a child's stdout, one object per call. */
function lines(stream: NodeJS.ReadableStream): () => Promise<Record<string, number>> {
  let buffer = '';
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  stream.on('data', (d: Buffer) => {
    buffer += d.toString();
    let at: number;
    while ((at = buffer.indexOf('\n')) !== -1) {
      queue.push(buffer.slice(0, at));
      buffer = buffer.slice(at + 1);
    }
    wake?.();
  });
  return async () => {
    while (queue.length === 0) await new Promise<void>((r) => (wake = r));
    return JSON.parse(queue.shift()!);
  };
}

async function runOnce(variant: string, sinkPort: number): Promise<Sample> {
  const proc = spawn(bunBin, [child, variant, String(sinkPort)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const next = lines(proc.stdout!);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  try {
    const { port } = await next();
    // Bounded: a run that stalls fails the benchmark instead of hanging it.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${variant}: no ${GIB} GiB within ${RUN_LIMIT_S} s`)), RUN_LIMIT_S * 1000);
    });
    const seconds = await Promise.race([pushThrough(port!, TOTAL), limit]).finally(() => clearTimeout(timer));
    proc.stdin!.write('report\n');
    const { cpu, rss } = await next();
    await exited;
    return { cpu: cpu!, seconds, rss: rss! };
  } finally {
    if (proc.exitCode === null) proc.kill();
  }
}


const loadBefore = loadavg()[0]!;
const sink = startSink();
const samples: Record<string, Sample[]> = Object.fromEntries(variants.map((v) => [v, []]));
// Rounds interleave the variants so a noisy neighbour on the shared cores hits them alike.
for (let round = 0; round < RUNS; round++) {
  for (const variant of variants) {
    const s = await runOnce(variant, sink.port);
    samples[variant]!.push(s);
    console.error(`round ${round + 1} ${variant}: ${(s.cpu / GIB).toFixed(3)} s/GiB, ${((TOTAL * 8) / s.seconds / 1e9).toFixed(2)} Gbit/s, ${(s.rss / 2 ** 20).toFixed(0)} MiB`);
  }
}
sink.stop();

const rows = variants.map((v) => {
  const xs = samples[v]!;
  return {
    v,
    cpu: median(xs.map((s) => s.cpu / GIB)),
    gbit: median(xs.map((s) => (TOTAL * 8) / s.seconds / 1e9)),
    rss: median(xs.map((s) => s.rss / 2 ** 20)),
  };
});
// Same-round ratios to the native proxy (neighbouring runs share the machine's load), then their median.
const ratios = (v: string): { cpu: number; gbit: number } | undefined => {
  const base = samples.native;
  if (base === undefined) return undefined;
  const xs = samples[v]!;
  return {
    cpu: median(xs.map((s, i) => s.cpu / base[i]!.cpu)),
    gbit: median(xs.map((s, i) => base[i]!.seconds / s.seconds)),
  };
};
const ratio = (v: string): string => {
  const r = ratios(v);
  return r ? `${r.cpu.toFixed(2)}x / ${r.gbit.toFixed(2)}x` : '-';
};
const table = [
  `| proxy | CPU s/GiB | throughput Gbit/s | peak RSS MiB | vs native, same-round ratios (CPU / throughput) |`,
  `|---|---:|---:|---:|---:|`,
  ...rows.map((r) => `| ${VARIANTS[r.v] ?? r.v} | ${r.cpu.toFixed(3)} | ${r.gbit.toFixed(2)} | ${r.rss.toFixed(0)} | ${ratio(r.v)} |`),
].join('\n');
const direct = samples.direct ? ratios('direct') : undefined;
const verdict = direct
  ? `Direct path vs native (median of same-round ratios): CPU/GiB ${direct.cpu.toFixed(2)}x (target <= 1.1x), throughput ${direct.gbit.toFixed(2)}x (target >= 0.95x).`
  : '';
const md = `# Bun: loopback proxy, ${GIB} GiB one way per run

Bun ${(globalThis as { Bun?: { version: string } }).Bun?.version ?? '?'}, ${new Date().toISOString().slice(0, 10)}, medians of ${RUNS} runs per variant (rounds interleaved).
The proxy runs in its own process (CPU = its \`process.cpuUsage()\` from the first accept to the end;
peak RSS = its \`VmHWM\`); the sender and the sink share the orchestrating process. 2 cores shared
with other work (1-minute load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after): compare
the same-round ratios within this table, not absolute figures across runs or machines.
Produced by \`node_modules/.bin/bun bench/bun/proxy.ts\`.

${table}

${verdict}
`;
writeFileSync(fileURLToPath(new URL('../results/bun.md', import.meta.url)), md);
console.log(md);
