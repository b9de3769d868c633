#!/usr/bin/env node
// The http-gateway example against hitting its upstream directly (issue 12),
// same run, interleaved rounds, medians:
// - one keep-alive client in sequence (node:http, one socket): requests/s;
// - `ab -k -c 50` (Debian apache2-utils) against a small page: requests/s;
// - one 100 MB response body: MB/s.
// Usage: node bench/gateway.mjs [--rounds 3] [--requests 3000]  (after `pnpm build`)
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { root } from '../examples/_runtimes.mjs';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, requests: { type: 'string', default: '3000' } } });
const ROUNDS = Number(values.rounds);
const REQUESTS = Number(values.requests);
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

/** One keep-alive client, requests one after the other; requests/s. */
async function sequential(port) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const started = performance.now();
  for (let i = 0; i < REQUESTS && performance.now() - started < 20_000; i++) {
    await new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => res.resume().on('end', resolve)).on('error', reject);
    });
  }
  const rate = REQUESTS / ((performance.now() - started) / 1000);
  agent.destroy();
  return rate;
}

/** ab -k -c 50; requests/s. */
function ab(port) {
  const run = spawnSync('ab', ['-q', '-k', '-c', '50', '-n', String(REQUESTS * 5), `http://127.0.0.1:${port}/`], { encoding: 'utf8', timeout: 60_000 });
  const m = /Requests per second:\s+([\d.]+)/.exec(run.stdout ?? '');
  if (m === null) throw new Error(`ab failed: ${run.stderr || run.error}`);
  return Number(m[1]);
}

/** One 100 MB body; MB/s. */
async function bigBody(port) {
  const started = performance.now();
  let n = 0;
  await new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/big' }, (res) => res.on('data', (c) => (n += c.length)).on('end', resolve)).on('error', reject);
  });
  if (n !== BIG) throw new Error(`got ${n} of ${BIG} bytes`);
  return BIG / 1e6 / ((performance.now() - started) / 1000);
}

const hasAb = spawnSync('ab', ['-V']).status === 0;
if (!hasAb) console.error('bench/gateway: `ab` not found (Debian: apt-get install apache2-utils); the ab rows are skipped');
const upstream = await child(process.execPath, ['-e', UPSTREAM], /^(\d+)/);
const gateway = await child(process.execPath, [`${root}examples/http-gateway/node.mjs`, '--listen', '127.0.0.1:0', '--target', `127.0.0.1:${upstream.port}`], /:(\d+),/);
const figures = { sequential: { direct: [], gateway: [] }, ab: { direct: [], gateway: [] }, big: { direct: [], gateway: [] } };
try {
  for (let round = 0; round < ROUNDS; round++) {
    // Interleaved: direct then gateway in each round, so a busy moment hits both alike.
    for (const [name, port] of [['direct', upstream.port], ['gateway', gateway.port]]) {
      figures.sequential[name].push(await sequential(port));
      if (hasAb) figures.ab[name].push(ab(port));
      figures.big[name].push(await bigBody(port));
    }
  }
} finally {
  gateway.proc.kill('SIGINT');
  upstream.proc.kill();
}
const rows = [
  ['one keep-alive client in sequence (node:http)', 'req/s', figures.sequential],
  ['`ab -k -c 50`, small page', 'req/s', figures.ab],
  ['one 100 MB body (node:http client)', 'MB/s', figures.big],
];
const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`Node ${process.version}, ${os.cpus().length} cores, load average ${load} at the end; ${ROUNDS} interleaved rounds, medians (bench/gateway.mjs)\n`);
console.log('| load | unit | direct | through the gateway | ratio |\n|---|---|---:|---:|---:|');
for (const [what, unit, f] of rows) {
  if (f.direct.length === 0) continue;
  const d = median(f.direct);
  const g = median(f.gateway);
  console.log(`| ${what} | ${unit} | ${d.toFixed(0)} | ${g.toFixed(0)} | ${(g / d).toFixed(2)}x |`);
}
