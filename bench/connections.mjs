// Connections (issue 10): the rate (bench/connection-rate.mjs) and the idle
// memory (bench/idle-rss.mjs) of the `sosplice` command beside each runtime's
// hand-written proxy, in one run. Writes bench/results/connections.json and
// connections.md, and the README's section between its connections markers.
//
// Usage: node bench/connections.mjs [--quick] [--rounds 3] [--requests 5000] [--connections 1000] [--only rate,idle] [--runtimes node,bun,deno]
//        node bench/connections.mjs --render   (rewrite connections.md and the README from connections.json)
// `--quick`: 1,000 requests per ab run and 200 idle connections (about a
// third of the time; the idle figure is noisier), still 3 rounds.
// Needs Linux (/proc), `pnpm build`, nginx and ab (installed from Debian's
// nginx-light and apache2-utils when missing and running as root).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { RUNTIMES, root, runtimeBinary } from '../examples/_runtimes.mjs';
import { rateTable, runRate } from './connection-rate.mjs';
import { idleTable, runIdle } from './idle-rss.mjs';
import { ensureTools, nginxVersion } from './_nginx.mjs';
import { attempt } from './_proxies.mjs';

const results = `${root}bench/results/`;

/** Runs the parts in `only` ("rate", "idle") for `runtimes`; resolves to the report (errors listed, not thrown). */
export async function runConnections({ runtimes = RUNTIMES, only = ['rate', 'idle'], quick = false, rounds = 3, requests, connections, log = console.error } = {}) {
  const present = runtimes.filter((r) => runtimeBinary(r) !== undefined);
  const report = { date: new Date().toISOString(), machine: machineLine(present), command: commandLine(), errors: [] };
  if (only.includes('rate')) {
    report.rate = await attempt('connection rate', report.errors, log, async () => {
      const tools = ensureTools();
      report.nginx = nginxVersion(tools.nginx);
      return runRate({ tools, runtimes: present, rounds, requests: requests ?? (quick ? 1000 : 5000), log });
    });
  }
  if (only.includes('idle')) {
    report.idle = await attempt('idle RSS', report.errors, log, () => runIdle({ runtimes: present, rounds, connections: connections ?? (quick ? 200 : 1000), log }));
  }
  // A proxy that failed a round is listed too; its row shows the rounds it did.
  report.errors.push(...(report.rate?.errors ?? []), ...(report.idle?.errors ?? []));
  return report;
}

function machineLine(runtimes) {
  const version = (r) => (r === 'node' ? process.versions.node : /(\d+\.\d+\.\d+)/.exec(spawnSync(runtimeBinary(r), ['--version'], { encoding: 'utf8' }).stdout)?.[1]);
  const cpus = os.cpus();
  const load = os.loadavg().map((x) => x.toFixed(1)).join(' ');
  return `${cpus[0]?.model.trim()}, ${cpus.length} cores, ${os.type()} ${os.release()}; load average ${load} at the start; ${runtimes.map((r) => `${r} ${version(r)}`).join(', ')}`;
}

function commandLine() {
  return `node ${process.argv.slice(1).map((a) => a.replace(root, '')).join(' ')}`;
}

/** The report as Markdown (tables with the issue's targets). */
export function connectionsMarkdown(report) {
  const parts = [`Run of ${report.date.slice(0, 16).replace('T', ' ')} UTC: \`${report.command}\`; ${report.machine}${report.nginx ? `; nginx ${report.nginx}` : ''}.`];
  if (report.rate) {
    const s = report.rate.settings;
    parts.push(
      `Connection rate: \`ab -n ${s.requests} -c ${s.concurrency}\` and \`ab -k -n ${s.keepAliveRequests} -c ${s.concurrency}\` (ApacheBench, a warm-up run of a tenth first) against nginx's 100-byte page, through each proxy, medians of ${s.rounds} interleaved rounds; ratio = median of same-round ratios of sosplice to the baseline, **target ≥ 0.9x**. CPU = the proxy's (for the first row, nginx's own) user and user + system seconds per 1,000 requests, /proc, 10 ms ticks.`,
      rateTable(report.rate),
    );
  }
  if (report.idle) {
    const s = report.idle.settings;
    parts.push(
      `Idle RSS: ${s.connections.toLocaleString('en')} connections held open through the proxy (one byte echoed each way on each, then silent), VmRSS growth over the proxy warmed up by ${s.warm} connections, per connection, medians of ${s.rounds} interleaved rounds; ratio = median of same-round ratios, **target ≤ 1.1x**.`,
      idleTable(report.idle),
    );
  }
  if (report.errors.length) parts.push(`Not measured:\n\n${report.errors.map((e) => `- ${e}`).join('\n')}`);
  return parts.join('\n\n');
}

/** Writes results/connections.{json,md} and the README's connections section. */
export function writeConnections(report) {
  const md = connectionsMarkdown(report);
  writeFileSync(`${results}connections.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${results}connections.md`, `# sosplice benchmarks: connections\n\n${md}\n`);
  const readmePath = `${root}bench/README.md`;
  const readme = readFileSync(readmePath, 'utf8');
  const [start, end] = ['<!-- connections:start -->', '<!-- connections:end -->'];
  if (readme.includes(start) && readme.includes(end)) {
    writeFileSync(readmePath, `${readme.slice(0, readme.indexOf(start) + start.length)}\n${md}\n${readme.slice(readme.indexOf(end))}`);
  }
  return md;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      render: { type: 'boolean', default: false },
      rounds: { type: 'string', default: '3' },
      requests: { type: 'string' },
      connections: { type: 'string' },
      only: { type: 'string', default: 'rate,idle' },
      runtimes: { type: 'string', default: RUNTIMES.join(',') },
    },
  });
  const report = values.render
    ? JSON.parse(readFileSync(`${results}connections.json`, 'utf8'))
    : await runConnections({
        runtimes: values.runtimes.split(','),
        only: values.only.split(','),
        quick: values.quick,
        rounds: Math.max(3, Number(values.rounds)), // medians of at least 3
        requests: values.requests && Number(values.requests),
        connections: values.connections && Number(values.connections),
      });
  console.log(writeConnections(report));
  process.exit(report.errors.length ? 1 : 0);
}
