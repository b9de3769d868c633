// Baselines outside JavaScript: socat and haproxy (from Debian's packages,
// when installed) as the loopback proxy, measured like the runtimes' proxy
// benchmarks: one connection, one way, the proxy's CPU (utime+stime from
// /proc) per GiB, throughput, peak RSS (VmHWM).
//
// Usage: node bench/external.mjs [--gib 2] [--runs 3] [--json]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { processCpuSeconds, processPeakRss } from '../examples/tcp-proxy/_harness.mjs';
import { freePort, median, openClients, push, startSink, waitForListener } from './_loopback.mjs';

/** The path of `name` on PATH (or in sbin, where Debian puts haproxy), or undefined. */
export function which(name) {
  const r = spawnSync('sh', ['-c', `command -v ${name} || ls /usr/sbin/${name} 2>/dev/null`], { encoding: 'utf8' });
  const path = r.stdout.trim().split('\n')[0];
  return path || undefined;
}

function haproxyConfig(dir, port, sinkPort, splice) {
  const file = join(dir, 'haproxy.cfg');
  // One thread: the JavaScript proxies run their I/O on one thread too.
  writeFileSync(
    file,
    `global
  nbthread 1
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  ${splice ? 'option splice-auto' : 'no option splice-auto'}
frontend in
  bind 127.0.0.1:${port}
  default_backend out
backend out
  server sink 127.0.0.1:${sinkPort}
`,
  );
  return file;
}

/** The baselines found on this machine: name → how to start it on `port` towards `sinkPort`. */
export function externalProxies() {
  const found = {};
  const socat = which('socat');
  if (socat) {
    found.socat = { label: 'socat (copy loop)', start: (port, sinkPort) => spawn(socat, ['-b', '65536', `TCP4-LISTEN:${port},bind=127.0.0.1,reuseaddr`, `TCP4:127.0.0.1:${sinkPort}`]) };
  }
  const haproxy = which('haproxy');
  if (haproxy) {
    for (const splice of [false, true]) {
      found[splice ? 'haproxy-splice' : 'haproxy'] = {
        label: splice ? 'haproxy (kernel splice)' : 'haproxy (copy)',
        start: (port, sinkPort, dir) => spawn(haproxy, ['-db', '-f', haproxyConfig(dir, port, sinkPort, splice)]),
      };
    }
  }
  return found;
}

async function oneRun(proxy, total) {
  const dir = mkdtempSync(join(tmpdir(), 'sosplice-bench-'));
  const sink = await startSink();
  const port = await freePort();
  const child = proxy.start(port, sink.port, dir);
  child.on('error', () => {});
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    if (child.pid === undefined) throw new Error('could not start');
    // socat accepts one connection only: probe haproxy alone.
    if (proxy.label.startsWith('haproxy')) await waitForListener(port);
    else await new Promise((resolve) => setTimeout(resolve, 300));
    const before = sink.received;
    const [client] = await openClients(port, 1);
    const cpu0 = processCpuSeconds(child.pid);
    const t0 = performance.now();
    await Promise.all([push(client, total), sink.until(before + total)]);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = processCpuSeconds(child.pid) - cpu0;
    const rss = processPeakRss(child.pid);
    client.destroy();
    return { cpuPerGiB: cpu / (total / 2 ** 30), gbit: (total * 8) / seconds / 1e9, rssMiB: rss / 2 ** 20 };
  } finally {
    child.kill('SIGTERM');
    await exited;
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs every baseline found; rows of medians, `[]` when none is installed. */
export async function runExternal({ gib = 2, runs = 3, log = console.error } = {}) {
  const proxies = externalProxies();
  const samples = Object.fromEntries(Object.keys(proxies).map((k) => [k, []]));
  for (let run = 0; run < runs; run++) {
    for (const [name, proxy] of Object.entries(proxies)) {
      const s = await oneRun(proxy, gib * 2 ** 30);
      samples[name].push(s);
      log(`external run ${run + 1}/${runs} ${name}: ${s.cpuPerGiB.toFixed(3)} CPU s/GiB, ${s.gbit.toFixed(2)} Gbit/s, ${s.rssMiB.toFixed(0)} MiB`);
    }
  }
  return Object.entries(proxies).map(([name, proxy]) => ({
    name,
    label: proxy.label,
    cpuPerGiB: median(samples[name].map((s) => s.cpuPerGiB)),
    gbit: median(samples[name].map((s) => s.gbit)),
    rssMiB: median(samples[name].map((s) => s.rssMiB)),
  }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { gib: { type: 'string', default: '2' }, runs: { type: 'string', default: '3' }, json: { type: 'boolean', default: false } } });
  const rows = await runExternal({ gib: Number(values.gib), runs: Number(values.runs) });
  if (values.json) console.log(JSON.stringify(rows, null, 2));
  else for (const r of rows) console.log(`| ${r.label} | ${r.cpuPerGiB.toFixed(3)} | ${r.gbit.toFixed(2)} | ${r.rssMiB.toFixed(0)} |`);
}
