#!/usr/bin/env node
// The http-gateway example against hitting its upstream directly (issue 12),
// same run, interleaved rounds, medians:
// - one keep-alive client in sequence (node:http, one socket): requests/s;
// - `ab -k -c 50` (Debian apache2-utils) against a small page: requests/s;
// - 100 MB response bodies, `--bodies` in a row on one connection: MB/s.
// Beside each figure, the CPU the serving process spent on it (from /proc:
// user / total, all threads): the upstream's when hit directly, the
// gateway's own when it is in between (the upstream's work is the same).
// The gateway runs under each of `--runtimes` (its entry examples/http-gateway/<runtime>.mjs).
// Usage: node bench/gateway.mjs [--rounds 3] [--requests 3000] [--bodies 3] [--only sequential,ab,big] [--runtimes node,bun,deno]  (after `pnpm build`)
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { root, runtimeBinary, scriptArgs } from '../examples/_runtimes.mjs';
import { treeCpuSeconds } from './_procfs.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    requests: { type: 'string', default: '3000' },
    bodies: { type: 'string', default: '3' },
    only: { type: 'string', default: 'sequential,ab,big' },
    runtimes: { type: 'string', default: 'node' },
  },
});
const ROUNDS = Number(values.rounds);
const REQUESTS = Number(values.requests);
const BODIES = Number(values.bodies);
const ONLY = new Set(values.only.split(','));
const BIG = 100 * 1000 * 1000;
const PAGE = Buffer.alloc(612, 'x'); // about nginx's default page

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// The upstream in its own process, so the gateway and the client do not share its CPU.
const UPSTREAM = `
const http = require('node:http');
const page = Buffer.alloc(${PAGE.length}, 'x');
const chunk = Buffer.alloc(1 << 20, 7);
http.createServer((req, res) => {
  req.resume();
  if (req.url === '/big') {
    res.setHeader('content-length', ${BIG});
    let left = ${BIG};
    const pump = () => { while (left > 0) { const n = Math.min(left, chunk.length); left -= n; if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once('drain', pump); } res.end(); };
    return pump();
  }
  res.setHeader('content-length', page.length);
  res.end(page);
}).listen(0, '127.0.0.1', function () { console.log(this.address().port); });
`;

async function child(cmd, args, pattern) {
  const proc = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const [first] = await once(proc.stdout.setEncoding('utf8'), 'data');
  return { proc, port: Number(pattern.exec(first)[1]) };
}

/** One keep-alive client, requests one after the other: `{ rate, units }` (requests/s, thousands of requests). */
async function sequential(port) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const started = performance.now();
  let done = 0;
  while (done < REQUESTS && performance.now() - started < 20_000) {
    await new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => res.resume().on('end', resolve)).on('error', reject);
    });
    done++;
  }
  const rate = done / ((performance.now() - started) / 1000);
  agent.destroy();
  return { rate, units: done / 1000 };
}

/** ab -k -c 50: `{ rate, units }` (requests/s, thousands of requests). */
function ab(port) {
  const n = REQUESTS * 5;
  const run = spawnSync('ab', ['-q', '-k', '-c', '50', '-n', String(n), `http://127.0.0.1:${port}/`], { encoding: 'utf8', timeout: 60_000 });
  const m = /Requests per second:\s+([\d.]+)/.exec(run.stdout ?? '');
  if (m === null) throw new Error(`ab failed: ${run.stderr || run.error}`);
  return { rate: Number(m[1]), units: n / 1000 };
}

/** BODIES bodies of 100 MB in a row, one keep-alive connection: `{ rate, units }` (MB/s, bodies). One body is ~0.1 s: too short to time alone on a shared machine. */
async function bigBody(port) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const started = performance.now();
  for (let i = 0; i < BODIES; i++) {
    let n = 0;
    await new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/big', agent }, (res) => res.on('data', (c) => (n += c.length)).on('end', resolve)).on('error', reject);
    });
    if (n !== BIG) throw new Error(`got ${n} of ${BIG} bytes`);
  }
  agent.destroy();
  return { rate: (BODIES * BIG) / 1e6 / ((performance.now() - started) / 1000), units: BODIES };
}

/** Runs `load` against `port` and adds its rate and the CPU `pid` spent per unit (ms) to `into`. */
async function measure(into, load, port, pid) {
  const before = treeCpuSeconds(pid);
  const { rate, units } = await load(port);
  const after = treeCpuSeconds(pid);
  into.rate.push(rate);
  into.user.push(((after.user - before.user) * 1000) / units);
  into.total.push(((after.total - before.total) * 1000) / units);
}

const hasAb = spawnSync('ab', ['-V']).status === 0;
if (!hasAb) console.error('bench/gateway: `ab` not found (Debian: apt-get install apache2-utils); the ab rows are skipped');
const upstream = await child(process.execPath, ['-e', UPSTREAM], /^(\d+)/);
const runtimes = values.runtimes.split(',').filter((runtime) => {
  if (runtimeBinary(runtime) !== undefined) return true;
  console.error(`bench/gateway: ${runtime} not installed, skipped`);
  return false;
});
const gateways = [];
for (const runtime of runtimes) {
  const args = scriptArgs(runtime, `${root}examples/http-gateway/${runtime}.mjs`, ['--listen', '127.0.0.1:0', '--target', `127.0.0.1:${upstream.port}`]);
  gateways.push({ runtime, ...(await child(runtimeBinary(runtime), args, /:(\d+),/)) });
}
const hasAbRow = hasAb && ONLY.has('ab');
const rows = [
  ['sequential', sequential, 'one keep-alive client in sequence (node:http)', 'req/s', 'ms per 1,000 req'],
  ['ab', ab, '`ab -k -c 50`, small page', 'req/s', 'ms per 1,000 req'],
  ['big', bigBody, `100 MB bodies, ${BODIES} in a row (node:http client)`, 'MB/s', 'ms per 100 MB'],
].filter(([key]) => ONLY.has(key) && (key !== 'ab' || hasAbRow));
const series = () => ({ rate: [], user: [], total: [] });
const servers = [{ name: 'direct', port: upstream.port, pid: upstream.proc.pid }, ...gateways.map((g) => ({ name: g.runtime, port: g.port, pid: g.proc.pid }))];
const figures = Object.fromEntries(rows.map(([key]) => [key, Object.fromEntries(servers.map(({ name }) => [name, series()]))]));
try {
  for (let round = 0; round < ROUNDS; round++) {
    // Interleaved: direct then each gateway in each round, so a busy moment hits them alike.
    for (const { name, port, pid } of servers) {
      for (const [key, load] of rows) await measure(figures[key][name], load, port, pid);
    }
  }
} finally {
  for (const gateway of gateways) gateway.proc.kill('SIGINT');
  upstream.proc.kill();
}
const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`Node ${process.version} (clients, upstream), ${os.cpus().length} cores, load average ${load} at the end; ${ROUNDS} interleaved rounds, medians (bench/gateway.mjs)\n`);
console.log('| load | unit | gateway on | direct | through the gateway | ratio | CPU unit | upstream direct, user / total | gateway process, user / total |');
console.log('|---|---|---|---:|---:|---:|---|---:|---:|');
const cpu = (f) => `${median(f.user).toFixed(1)} / ${median(f.total).toFixed(1)}`;
for (const [key, , what, unit, cpuUnit] of rows) {
  const direct = figures[key].direct;
  const d = median(direct.rate);
  for (const { runtime } of gateways) {
    const via = figures[key][runtime];
    const g = median(via.rate);
    console.log(`| ${what} | ${unit} | ${runtime} | ${d.toFixed(0)} | ${g.toFixed(0)} | ${(g / d).toFixed(2)}x | ${cpuUnit} | ${cpu(direct)} | ${cpu(via)} |`);
  }
}
