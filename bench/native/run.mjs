// The kernel path against the JS direct path (Node, Bun) and haproxy with
// `option splice-auto`, in one interleaved run, medians.
//
// Load generator: plain node:net in this process (bench/_loopback.mjs: one
// client pushing 64 KiB writes, one counting sink), one connection, one way.
// Per proxy process (from /proc/<pid>/stat): user and system CPU per GiB,
// the JS thread's own CPU per GiB (the main thread: the event loop, where
// the JS direct path runs), throughput, and for Node the event loop
// utilization over the connection. Then idle memory: 1,000 spliced
// connections held open, RSS per connection over the proxy's baseline, and
// the pipes the proxy holds.
//
//   node bench/native/run.mjs [--gib 2] [--runs 3] [--idle 1000]
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { root, runtimeBinary } from '../../examples/_runtimes.mjs';
import { externalProxies } from '../external.mjs';
import { freePort, median, openClients, push, startSink, waitForListener } from '../_loopback.mjs';

const { values } = parseArgs({ options: { gib: { type: 'string', default: '2' }, runs: { type: 'string', default: '3' }, idle: { type: 'string', default: '1000' } } });
const GIB = Number(values.gib);
const RUNS = Number(values.runs);
const IDLE = Number(values.idle);
const TICK = 100; // clock ticks per second (getconf CLK_TCK on Linux)

/** utime and stime, in seconds, of a process or one of its threads. */
function cpu(pid, tid) {
  const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) / TICK, system: Number(fields[12]) / TICK };
}
const rssKiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const pipes = (pid) => readdirSync(`/proc/${pid}/fd`).filter((fd) => {
  try {
    return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('pipe:');
  } catch {
    return false;
  }
}).length;

/** A sosplice proxy child; `lines` collects its JSON lines. */
function sosplice(runtime, kernel) {
  return {
    label: `${runtime} ${kernel ? 'kernel path' : 'JS direct path'}`,
    kernel,
    async start(sinkPort) {
      const child = spawn(runtimeBinary(runtime), ['bench/native/proxy-child.mjs', String(sinkPort)], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, SOSPLICE_NATIVE: kernel ? '' : '0' },
      });
      const lines = [];
      let waiting;
      let buffered = '';
      child.stdout.setEncoding('utf8').on('data', (text) => {
        buffered += text;
        for (let nl; (nl = buffered.indexOf('\n')) !== -1; buffered = buffered.slice(nl + 1)) {
          lines.push(JSON.parse(buffered.slice(0, nl)));
          waiting?.();
        }
      });
      const next = async (n) => {
        while (lines.length < n) await new Promise((resolve) => (waiting = resolve));
        return lines[n - 1];
      };
      const hello = await next(1);
      if (hello.kernel !== kernel) throw new Error(`${this.label}: the proxy reports kernel=${hello.kernel} (${hello.reason})`);
      return { child, port: hello.port, connectionDone: (i) => next(i + 1) };
    },
  };
}

function haproxy() {
  const found = externalProxies()['haproxy-splice'];
  if (found === undefined) return undefined;
  return {
    label: 'haproxy option splice-auto',
    async start(sinkPort) {
      const dir = mkdtempSync(join(tmpdir(), 'sosplice-bench-'));
      const port = await freePort();
      const child = found.start(port, sinkPort, dir);
      child.once('exit', () => rmSync(dir, { recursive: true, force: true }));
      await waitForListener(port);
      return { child, port, connectionDone: async () => ({}) };
    },
  };
}

async function transfer(proxy) {
  const total = GIB * 2 ** 30;
  const sink = await startSink();
  const { child, port, connectionDone } = await proxy.start(sink.port);
  try {
    const before = sink.received;
    const [client] = await openClients(port, 1);
    const c0 = cpu(child.pid);
    const m0 = cpu(child.pid, child.pid);
    const t0 = performance.now();
    await Promise.all([push(client, total), sink.until(before + total)]);
    const seconds = (performance.now() - t0) / 1000;
    const c1 = cpu(child.pid);
    const m1 = cpu(child.pid, child.pid);
    client.end();
    const done = await connectionDone(1);
    if (proxy.kernel !== undefined && (done.kernelSplices > 0) !== proxy.kernel) throw new Error(`${proxy.label}: ${done.kernelSplices} kernel splices ran`);
    const g = total / 2 ** 30;
    return {
      user: (c1.user - c0.user) / g,
      total: (c1.user + c1.system - c0.user - c0.system) / g,
      jsThread: (m1.user + m1.system - m0.user - m0.system) / g,
      gbit: (total * 8) / seconds / 1e9,
      elu: done.elu,
    };
  } finally {
    child.kill('SIGKILL');
    await sink.close();
  }
}

/** RSS per idle spliced connection at IDLE connections, over the proxy's own baseline; and its pipes. */
async function idleMemory(proxy) {
  const sink = await startSink();
  const { child, port } = await proxy.start(sink.port);
  try {
    // Warm: one connection through, so lazily made runtime state is in the baseline.
    const [warm] = await openClients(port, 1);
    await push(warm, 65_536);
    await sink.until(65_536);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const base = rssKiB(child.pid);
    const clients = await openClients(port, IDLE);
    // Every connection carries a few bytes, so both its splices started.
    for (const c of clients) c.write('x');
    await sink.until(65_536 + IDLE);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const perConnection = (rssKiB(child.pid) - base) / IDLE;
    const held = pipes(child.pid);
    for (const c of [warm, ...clients]) c.destroy();
    return { perConnectionKiB: perConnection, pipes: held };
  } finally {
    child.kill('SIGKILL');
    await sink.close();
  }
}

const proxies = [sosplice('node', false), sosplice('node', true), sosplice('bun', false), sosplice('bun', true), haproxy()].filter(Boolean);
const samples = new Map(proxies.map((p) => [p.label, []]));
for (let run = 0; run < RUNS; run++) {
  // Interleaved, and rotated each round, so a busy moment on the shared cores hits every proxy alike.
  for (let k = 0; k < proxies.length; k++) {
    const proxy = proxies[(k + run) % proxies.length];
    const s = await transfer(proxy);
    samples.get(proxy.label).push(s);
    console.error(`run ${run + 1}/${RUNS} ${proxy.label}: user ${s.user.toFixed(3)}, total ${s.total.toFixed(3)}, JS thread ${s.jsThread.toFixed(3)} s/GiB, ${s.gbit.toFixed(2)} Gbit/s${s.elu === undefined ? '' : `, ELU ${(s.elu * 100).toFixed(1)}%`}`);
  }
}
const med = (label, key) => median(samples.get(label).map((s) => s[key]).filter((v) => v !== undefined));
const fmt = (v, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : '–');
console.log(`\n${GIB} GiB one way per run, medians of ${RUNS}; node ${process.versions.node} (load generator and Node proxy), bun from node_modules.\n`);
console.log('| proxy | user CPU s/GiB | total CPU s/GiB | JS thread CPU s/GiB | Gbit/s | event loop utilization |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const p of proxies) {
  const elu = med(p.label, 'elu');
  console.log(`| ${p.label} | ${fmt(med(p.label, 'user'))} | ${fmt(med(p.label, 'total'))} | ${fmt(med(p.label, 'jsThread'))} | ${fmt(med(p.label, 'gbit'), 2)} | ${Number.isFinite(elu) ? `${(elu * 100).toFixed(1)}%` : '–'} |`);
}
console.log(`\n| proxy | RSS per idle spliced connection at ${IDLE} (KiB) | pipes held |`);
console.log('|---|---:|---:|');
for (const p of proxies.filter((p) => !p.label.startsWith('haproxy'))) {
  const m = await idleMemory(p);
  console.log(`| ${p.label} | ${fmt(m.perConnectionKiB, 1)} | ${m.pipes} |`);
}
