// `pnpm bench`: every proxy benchmark for every installed runtime, the
// native baselines (socat, haproxy) when installed, the scale section and
// the connection benchmarks (bench/connections.mjs), in one run. Writes
// bench/results/latest.json, latest.md and chart.svg, and the latest table
// into bench/README.md; the connection figures go to results/connections.*
// and their own README section.
//
// Usage: node bench/run.mjs [--gib 2] [--runs 3] [--scale-gib 1] [--only node,bun,deno,external,scale,connections] [--quick]
//        node bench/run.mjs --render   (rewrite the Markdown, chart and README from results/latest.json and connections.json)
// `--quick`: 0.5 GiB per proxy run, 0.25 GiB per scale run, 1,000 requests
// per ab run and 200 idle connections (about a third of the time), still medians of 3.
// `--only connections` runs the connection benchmarks alone (for every
// runtime) and leaves latest.* as they were; beside runtimes
// (`--only bun,connections`) they run for those runtimes only.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { RUNTIMES, root, runtimeBinary } from '../examples/_runtimes.mjs';
import { chartSvg, kindOf, labelOf, parseProxyTable } from './_report.mjs';
import { runConnections, writeConnections } from './connections.mjs';
import { externalProxies, runExternal, which } from './external.mjs';
import { runScale, scaleTable } from './scale.mjs';

const { values } = parseArgs({
  options: {
    gib: { type: 'string' },
    runs: { type: 'string', default: '3' },
    'scale-gib': { type: 'string' },
    only: { type: 'string', default: 'node,bun,deno,external,scale,connections' },
    quick: { type: 'boolean', default: false },
    render: { type: 'boolean', default: false },
  },
});
const GIB = Number(values.gib ?? (values.quick ? '0.5' : '2'));
const SCALE_GIB = Number(values['scale-gib'] ?? (values.quick ? '0.25' : '1'));
const RUNS = Math.max(3, Number(values.runs)); // medians of at least 3
const only = new Set(values.only.split(','));
// The connection benchmarks alone: the throughput and scale figures of latest.* stay as they were.
const connectionsOnly = only.size === 1 && only.has('connections');
const results = `${root}bench/results/`;
const tmp = `${results}tmp/`; // git-ignored
mkdirSync(tmp, { recursive: true });

// Each runtime's own proxy benchmark (bench/<runtime>/), as its engineer wrote it.
const PROXY_BENCH = {
  node: (bin) => [bin, 'bench/node/proxy.mjs', '--gib', String(GIB), '--runs', String(RUNS), '--out', `${tmp}node.md`],
  // The Bun script always writes bench/results/bun.md; its stdout is the same table.
  bun: (bin) => [bin, 'bench/bun/proxy.ts', '--gib', String(GIB), '--runs', String(RUNS)],
  deno: (bin) => [bin, 'run', '-A', '--config', 'bench/deno/deno.json', 'bench/deno/proxy.ts', '--gib', String(GIB), '--runs', String(RUNS), '--out', `${tmp}deno.md`],
};
const BENCH_TIMEOUT_MS = 20 * 60_000;

function version(bin, args, re = /(\d+\.\d+\.\d+)/) {
  const r = spawnSync(bin, args, { encoding: 'utf8' });
  return re.exec(`${r.stdout}${r.stderr}`)?.[1];
}

function machine() {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    cpu: cpus[0]?.model.trim(),
    cores: cpus.length,
    memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.versions.node,
    bun: runtimeBinary('bun') && version(runtimeBinary('bun'), ['--version']),
    deno: runtimeBinary('deno') && version(runtimeBinary('deno'), ['--version']),
    socat: which('socat') && version(which('socat'), ['-V'], /socat version (\S+)/),
    haproxy: which('haproxy') && version(which('haproxy'), ['-v'], /HAProxy version (\S+)/),
  };
}

/** Runs one command with a time limit; its stderr (progress) passes through, stdout is returned. */
function runBench(argv) {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (t) => (stdout += t));
    const timer = setTimeout(() => child.kill('SIGKILL'), BENCH_TIMEOUT_MS);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${argv.slice(0, 3).join(' ')} exited with ${code ?? signal}`));
    });
  });
}

// Every proxy imports the built packages (packages/*/dist): without them each step would fail alone.
function checkBuilt() {
  const missing = ['core', ...RUNTIMES.map((r) => `${r}-adapter`)].filter((p) => !existsSync(`${root}packages/${p}/dist/index.js`));
  if (missing.length > 0) {
    console.error(`bench: packages/{${missing.join(',')}}/dist missing: run \`pnpm build\` first (\`pnpm bench\` does).`);
    process.exit(1);
  }
}

async function measure() {
  const report = { machine: machine(), settings: { gib: GIB, runs: RUNS, scaleGib: SCALE_GIB }, proxy: {}, external: [], scale: {}, errors: [] };
  const firstLine = (error) => String(error?.message ?? error).split('\n')[0];
  const step = (text) => console.error(`\n== ${text}`);

  for (const runtime of RUNTIMES) {
    const bin = runtimeBinary(runtime);
    if (!only.has(runtime) || bin === undefined) continue;
    step(`${runtime}: bench/${runtime}/ proxy benchmark (${GIB} GiB, ${RUNS} runs)`);
    try {
      const stdout = await runBench(PROXY_BENCH[runtime](bin));
      const rows = parseProxyTable(stdout);
      if (rows.length === 0) throw new Error('no table in its output');
      report.proxy[runtime] = rows.map((r) => ({ ...r, label: labelOf(r.name), kind: kindOf(r.name) }));
    } catch (error) {
      report.errors.push(`${runtime} proxy benchmark: ${firstLine(error)}`);
      console.error(error.message);
    }
  }

  if (only.has('external') && Object.keys(externalProxies()).length > 0) {
    step(`native proxies: ${Object.keys(externalProxies()).join(', ')}`);
    report.external = (await runExternal({ gib: GIB, runs: RUNS })).map((r) => ({ ...r, kind: 'external' }));
  }

  if (only.has('scale')) {
    for (const runtime of RUNTIMES) {
      if (runtimeBinary(runtime) === undefined || !only.has(runtime)) continue;
      step(`scale: tcp-proxy example on ${runtime}, 1/10/100/1000 connections (${SCALE_GIB} GiB, ${RUNS} runs)`);
      try {
        report.scale[runtime] = await runScale({ runtime, gib: SCALE_GIB, runs: RUNS });
      } catch (error) {
        report.errors.push(`${runtime} scale: ${firstLine(error)}`);
        console.error(error.message);
      }
    }
  }
  return report;
}

/** The connection benchmarks, for the runtimes in --only (all of them when --only is `connections` alone). */
async function measureConnections() {
  const runtimes = connectionsOnly ? RUNTIMES : RUNTIMES.filter((r) => only.has(r));
  console.error(`\n== connections: ab against nginx through the sosplice command and hand-written proxies, idle RSS (${RUNS} rounds)`);
  const report = await runConnections({ runtimes, quick: values.quick, rounds: RUNS });
  writeConnections(report);
  return report.errors.map((e) => `connections, ${e}`);
}

/** Writes latest.md, chart.svg and the README's section from a report; returns the Markdown. */
function render(report) {
  const m = report.machine;
  const { gib: GIB, runs: RUNS, scaleGib: SCALE_GIB } = report.settings;
  const header = `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}; Node ${m.node}` +
    (m.bun ? `, Bun ${m.bun}` : '') + (m.deno ? `, Deno ${m.deno}` : '') +
    (m.socat ? `, socat ${m.socat}` : '') + (m.haproxy ? `, HAProxy ${m.haproxy}` : '') + `; ${m.date.slice(0, 16)}Z`;

  const proxyRows = [];
  for (const [runtime, rows] of Object.entries(report.proxy)) {
    for (const r of rows) proxyRows.push(`| ${runtime} | ${kindOf(r.name).startsWith('sosplice') ? `**${labelOf(r.name)}**` : labelOf(r.name)} | ${r.cpuPerGiB.toFixed(3)} | ${r.gbit.toFixed(2)} | ${r.rssMiB?.toFixed(0) ?? '-'} |`);
  }
  for (const r of report.external) proxyRows.push(`| native | ${r.label} | ${r.cpuPerGiB.toFixed(3)} | ${r.gbit.toFixed(2)} | ${r.rssMiB.toFixed(0)} |`);

  const scaleSections = Object.entries(report.scale).map(([runtime, rows]) => {
    const one = rows.find((r) => r.connections === 1);
    const many = rows.find((r) => r.connections === 1000);
    // Below a few hundred connections the idle figure is page and GC noise divided by N; 1,000 is the measure.
    const verdict = one && many
      ? `CPU/GiB at 1,000 connections: ${(many.cpuPerGiB / one.cpuPerGiB).toFixed(2)}x one connection (target <= 1.5x). ` +
        `Idle RSS per spliced connection, at 1,000: ${many.idleKiBPerConn.toFixed(1)} KiB (target < 16 KiB).`
      : '';
    return `${scaleTable(runtime, rows)}\n\n${verdict}`;
  });

  const md = `# sosplice benchmarks: latest run

${header}.
Produced by \`pnpm bench\` (\`node bench/run.mjs\`); medians of ${RUNS} runs. Two shared cores: compare rows within one run, not across machines.

## Loopback proxy, one connection, ${GIB} GiB one way per run

Each runtime's own benchmark (\`bench/node\`, \`bench/bun\`, \`bench/deno\`): the proxy is a child process,
CPU is its user + system time over the transfer, RSS its peak. Native proxies: \`bench/external.mjs\`, the same load.

| runtime | proxy | CPU s/GiB | throughput Gbit/s | peak RSS MiB |
|---|---|---:|---:|---:|
${proxyRows.join('\n')}

![proxy CPU per GiB and throughput](chart.svg)

## Scale: 1 to 1,000 concurrent connections through examples/tcp-proxy

\`bench/scale.mjs\`: ${SCALE_GIB} GiB per run split across the connections, one way; idle RSS = RSS with every
connection spliced and silent, above the warmed-up proxy, per connection (socket buffers are kernel memory, not RSS);
peak RSS = VmHWM during the transfer above the same baseline, per connection.

${scaleSections.join('\n\n')}
${report.errors.length ? `\n## Not measured\n\n${report.errors.map((e) => `- ${e}`).join('\n')}\n` : ''}`;

  writeFileSync(`${results}latest.md`, md);
  const groups = [
    ...Object.entries(report.proxy).map(([runtime, rows]) => ({
      title: `${runtime[0].toUpperCase()}${runtime.slice(1)} ${m[runtime] ?? ''}`,
      rows: rows.map((r) => ({ ...r, label: labelOf(r.name), kind: kindOf(r.name) })),
    })),
    ...(report.external.length ? [{ title: 'native proxies', rows: report.external }] : []),
  ];
  const [hardware, ...software] = header.split('; ');
  const subtitle = `${hardware}\n${software.join('; ')}\n${GIB} GiB one way per run, medians of ${RUNS} runs`;
  if (groups.length > 0) writeFileSync(`${results}chart.svg`, chartSvg(groups, subtitle));

  // bench/README.md keeps its prose; the part between the markers is the latest run.
  const readmePath = `${root}bench/README.md`;
  const readme = readFileSync(readmePath, 'utf8');
  const start = '<!-- latest:start -->';
  const end = '<!-- latest:end -->';
  const body = md.replace(/^# .*\n/, '').replace(/^## /gm, '### ').replace('](chart.svg)', '](results/chart.svg)').trim();
  writeFileSync(readmePath, `${readme.slice(0, readme.indexOf(start) + start.length)}\n${body}\n${readme.slice(readme.indexOf(end))}`);
  return md;
}

if (values.render) {
  console.log(render(JSON.parse(readFileSync(`${results}latest.json`, 'utf8'))));
  if (existsSync(`${results}connections.json`)) console.log(writeConnections(JSON.parse(readFileSync(`${results}connections.json`, 'utf8'))));
  process.exit(0);
}
checkBuilt();
const report = connectionsOnly ? undefined : await measure();
const errors = only.has('connections') ? await measureConnections() : [];
if (report !== undefined) {
  writeFileSync(`${results}latest.json`, `${JSON.stringify(report, null, 2)}\n`);
  console.log(render(report));
}
process.exit(report?.errors.length || errors.length ? 1 : 0);
