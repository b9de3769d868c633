// Benchmark (not a test): one way, 2 GiB per run, through a loopback proxy
// in its own process, for four ways of writing the same Node proxy. Reports
// medians of proxy CPU seconds per GiB, throughput and peak RSS, and the
// ratios issue 3 sets targets for: direct vs `a.pipe(b)` (CPU/GiB <= 1.1x,
// throughput >= 0.95x) and generic vs `Duplex.toWeb` + `pipeTo` (>= 1.2x
// better CPU/GiB). Writes bench/results/node.md.
//
// Build first (`pnpm -r build`): the proxy imports packages/*/dist.
// Usage: node bench/node/proxy.mjs [--gib 2] [--runs 3] [--node path[,path...]] [--variants pipe,toweb,generic,direct] [--out file]
// Each --node binary runs the proxy in turn (one table each); default: this node.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pushThrough, startSink } from './_load.mjs';
import { parseArgs } from 'node:util';
import { median } from '../_stats.mjs';

const VARIANTS = {
  pipe: '`a.pipe(b)`',
  toweb: '`Duplex.toWeb` + `pipeTo`',
  generic: 'adapter, generic path (Web Streams)',
  direct: 'adapter, direct path',
};
const { values: args } = parseArgs({
  options: {
    gib: { type: 'string', default: '2' },
    runs: { type: 'string', default: '3' },
    node: { type: 'string', default: process.execPath },
    variants: { type: 'string', default: Object.keys(VARIANTS).join(',') },
    out: { type: 'string', default: fileURLToPath(new URL('../results/node.md', import.meta.url)) },
  },
});
const GIB = Number(args.gib);
const RUNS = Number(args.runs);
const nodeBins = args.node.split(',');
const variants = args.variants.split(',');
const out = args.out;
// Whole bytes: a fractional --gib (0.3) left a fraction of a byte the loops could never send (a hang).
const TOTAL = Math.floor(GIB * 2 ** 30);
const child = fileURLToPath(new URL('./_proxy-child.mjs', import.meta.url));
// Extra flags for the proxy process only, e.g. BENCH_PROXY_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
const childArgs = (process.env.BENCH_PROXY_NODE_ARGS ?? '').split(' ').filter(Boolean);

/** Next newline-delimited JSON object from a child's stdout. */
function lines(stream) {
  let buffer = '';
  const queue = [];
  let wake;
  stream.on('data', (d) => {
    buffer += d.toString();
    let at;
    while ((at = buffer.indexOf('\n')) !== -1) {
      queue.push(buffer.slice(0, at));
      buffer = buffer.slice(at + 1);
    }
    wake?.();
  });
  return async () => {
    for (let i = 0; queue.length === 0; i++) {
      if (i > 1000) throw new Error('proxy child said nothing');
      await new Promise((resolve) => (wake = resolve));
    }
    return JSON.parse(queue.shift());
  };
}

async function once(nodeBin, variant, sink) {
  const proc = spawn(nodeBin, [...childArgs, child, variant, String(sink.port)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  const next = lines(proc.stdout);
  try {
    const { port } = await next();
    const seconds = await pushThrough(port, TOTAL, sink);
    proc.stdin.write('report\n');
    const { cpu, user, rss } = await next();
    // The child exits by itself after reporting (and writes a --cpu-prof then).
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
    return { cpu, user, seconds, rss };
  } finally {
    if (proc.exitCode === null) proc.kill();
    await exited;
  }
}


const sink = await startSink();
const sections = [];
for (const nodeBin of nodeBins) sections.push(await measure(nodeBin));
await sink.close();

async function measure(nodeBin) {
  const version = await new Promise((resolve) => {
    const p = spawn(nodeBin, ['-v']);
    let o = '';
    p.stdout.on('data', (d) => (o += d));
    p.on('exit', () => resolve(o.trim()));
  });
  const samples = Object.fromEntries(variants.map((v) => [v, []]));
  // Rounds interleave the variants, so a busy moment on the shared cores hits all of them.
  for (let round = 0; round < RUNS; round++) {
    for (const variant of variants) {
      const sample = await once(nodeBin, variant, sink);
      samples[variant].push(sample);
      console.error(`${version} round ${round + 1}/${RUNS} ${variant}: ${(sample.cpu / GIB).toFixed(3)} s/GiB, ${((TOTAL * 8) / sample.seconds / 1e9).toFixed(2)} Gbit/s, ${(sample.rss / 2 ** 20).toFixed(0)} MiB`);
    }
  }
  const stats = {};
  for (const v of variants) {
    stats[v] = {
      cpu: median(samples[v].map((s) => s.cpu)) / GIB,
      user: median(samples[v].map((s) => s.user)) / GIB,
      gbit: median(samples[v].map((s) => (TOTAL * 8) / s.seconds / 1e9)),
      rss: median(samples[v].map((s) => s.rss)) / 2 ** 20,
      all: samples[v].map((s) => (s.cpu / GIB).toFixed(2)).join(' '),
    };
  }
  const base = stats.pipe;
  const rows = variants.map((v) => {
    const s = stats[v];
    const ratio = base ? `${(s.cpu / base.cpu).toFixed(2)}x / ${(s.gbit / base.gbit).toFixed(2)}x` : '';
    return `| ${VARIANTS[v]} | ${s.cpu.toFixed(3)} | ${s.all} | ${s.gbit.toFixed(2)} | ${s.rss.toFixed(0)} | ${ratio} | ${s.user.toFixed(3)} |`;
  });
  const verdict = [];
  if (stats.direct && stats.pipe) {
    verdict.push(`- Direct path vs \`a.pipe(b)\`: CPU/GiB ${(stats.direct.cpu / stats.pipe.cpu).toFixed(2)}x (target <= 1.1x), throughput ${(stats.direct.gbit / stats.pipe.gbit).toFixed(2)}x (target >= 0.95x).`);
  }
  if (stats.generic && stats.toweb) {
    verdict.push(`- Generic path vs \`Duplex.toWeb\` + \`pipeTo\`: ${(stats.toweb.cpu / stats.generic.cpu).toFixed(2)}x better CPU/GiB (target >= 1.2x).`);
  }
  return `## Node ${version}

| proxy | CPU s/GiB (median) | CPU s/GiB (each run) | throughput Gbit/s | peak RSS MiB | vs \`a.pipe(b)\` (CPU / throughput) | user s/GiB (median) |
|---|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

${verdict.join('\n')}
`;
}

const md = `# Node: loopback proxy, ${GIB} GiB one way per run

${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, medians of ${RUNS} runs per variant (rounds interleaved).
The proxy runs in its own process (CPU = its \`process.cpuUsage()\`, user + system, from the accept until the sink has every byte; user = its user part;
peak RSS = its \`maxRSS\`); the sender and the sink (plain \`node:net\`, one connection, 64 KiB writes) run in the
orchestrating process under the default node. 2 cores shared with other work (other engineers' tests and
benchmarks were running): compare ratios within one table, not across tables or machines.
Produced by \`node bench/node/proxy.mjs ${process.argv.slice(2).join(' ')}\` after \`pnpm -r build\`.

${sections.join('\n')}`;
writeFileSync(out, md);
console.log(md);
