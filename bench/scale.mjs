// Scale (issue 6): 1, 10, 100 and 1,000 concurrent connections through the
// sosplice command (packages/cli/src/main.mjs under each runtime, a child process),
// one way, client → proxy → sink, the load in this process.
//
// Per connection count, per run, on a fresh proxy:
//   - idle: every connection sends one byte and stays open; once the sink
//     has them all, every splice is live. RSS above the warmed-up baseline,
//     divided by N, is the userspace cost of one idle spliced connection
//     (kernel socket buffers are not in RSS).
//   - flow: then all N push total/N bytes at once. Aggregate throughput,
//     proxy CPU (utime+stime from /proc) per GiB, and peak RSS (VmHWM)
//     above the baseline per connection.
//
// Usage: node bench/scale.mjs [--runtime node|bun|deno] [--gib 1] [--runs 3] [--counts 1,10,100,1000] [--json]
// Needs `pnpm build` (the proxy imports the built packages) and Linux (/proc).
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { processCpuSeconds, processPeakRss, processRss, startProxy } from '../examples/tcp-proxy/_harness.mjs';
import { median, openClients, push, startSink } from './_loopback.mjs';

const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

async function oneRun(runtime, n, total, script) {
  const sink = await startSink();
  const proxy = await startProxy(runtime, ['--listen', '127.0.0.1:0', '--target', `127.0.0.1:${sink.port}`], { script });
  const pid = proxy.child.pid;
  try {
    // Warm-up: one connection with some MiB, so code loading and JIT are in the baseline.
    const [warm] = await openClients(proxy.port, 1);
    await push(warm, 16 * 2 ** 20);
    await sink.until(16 * 2 ** 20);
    warm.destroy();
    await proxy.waitFor(/ up \d+ B/);
    await settle();
    const baseline = processRss(pid);
    const start = sink.received;

    const clients = await openClients(proxy.port, n);
    for (const c of clients) c.write('!');
    await sink.until(start + n);
    await settle();
    const idleRss = processRss(pid);

    const each = Math.floor(total / n);
    const cpu0 = processCpuSeconds(pid);
    const t0 = performance.now();
    await Promise.all([...clients.map((c) => push(c, each)), sink.until(start + n + each * n)]);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = processCpuSeconds(pid) - cpu0;
    const peak = processPeakRss(pid);
    for (const c of clients) c.destroy();
    const gib = (each * n) / 2 ** 30;
    return {
      gbit: (each * n * 8) / seconds / 1e9,
      cpuPerGiB: cpu / gib,
      idleKiBPerConn: (idleRss - baseline) / n / 1024,
      peakKiBPerConn: (peak - baseline) / n / 1024,
      baselineMiB: baseline / 2 ** 20,
    };
  } finally {
    await proxy.stop(10_000);
    await sink.close();
  }
}

/** Runs the scale section for one runtime; resolves to one row per connection count (medians). */
export async function runScale({ runtime = 'node', gib = 1, runs = 3, counts = [1, 10, 100, 1000], log = console.error } = {}) {
  const samples = new Map(counts.map((n) => [n, []]));
  // Rounds interleave the counts, so a busy moment on the shared cores hits all of them.
  for (let run = 0; run < runs; run++) {
    for (const n of counts) {
      const s = await oneRun(runtime, n, gib * 2 ** 30);
      samples.get(n).push(s);
      log(`scale ${runtime} run ${run + 1}/${runs} ${String(n).padStart(4)} conns: ${s.gbit.toFixed(2)} Gbit/s, ${s.cpuPerGiB.toFixed(3)} CPU s/GiB, idle ${s.idleKiBPerConn.toFixed(1)} KiB/conn, peak ${s.peakKiBPerConn.toFixed(1)} KiB/conn`);
    }
  }
  // Node only: the same idle measure for a plain `a.pipe(b)` proxy, to tell
  // what Node's sockets cost anyway from what the splice adds.
  let pipeIdle;
  if (runtime === 'node' && counts.includes(1000)) {
    const pipe = fileURLToPath(new URL('./_pipe-proxy.mjs', import.meta.url));
    const xs = [];
    for (let run = 0; run < runs; run++) xs.push((await oneRun('node', 1000, 2 ** 26, pipe)).idleKiBPerConn);
    pipeIdle = median(xs);
    log(`scale node a.pipe(b) baseline: idle ${pipeIdle.toFixed(1)} KiB/conn at 1000`);
  }
  const rows = counts.map((n) => {
    const xs = samples.get(n);
    const m = (key) => median(xs.map((s) => s[key]));
    return { connections: n, gbit: m('gbit'), cpuPerGiB: m('cpuPerGiB'), idleKiBPerConn: m('idleKiBPerConn'), peakKiBPerConn: m('peakKiBPerConn'), baselineMiB: m('baselineMiB') };
  });
  if (pipeIdle !== undefined) rows.find((r) => r.connections === 1000).pipeIdleKiBPerConn = pipeIdle;
  return rows;
}

/** The rows as a Markdown table, with the two targets checked. */
export function scaleTable(runtime, rows) {
  const one = rows.find((r) => r.connections === 1);
  const pipe = rows.find((r) => r.pipeIdleKiBPerConn !== undefined);
  const lines = [
    `| ${runtime}: connections | throughput Gbit/s | proxy CPU s/GiB | vs 1 conn | idle RSS KiB/conn | peak RSS KiB/conn |`,
    '|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.connections} | ${r.gbit.toFixed(2)} | ${r.cpuPerGiB.toFixed(3)} | ${one ? (r.cpuPerGiB / one.cpuPerGiB).toFixed(2) + 'x' : '-'} | ${r.idleKiBPerConn.toFixed(1)} | ${r.peakKiBPerConn.toFixed(1)} |`),
  ];
  if (pipe) lines.push('', `Same idle measure at 1,000 connections for a plain \`a.pipe(b)\` Node proxy (\`bench/_pipe-proxy.mjs\`): ${pipe.pipeIdleKiBPerConn.toFixed(1)} KiB/conn; the splice adds ${(pipe.idleKiBPerConn - pipe.pipeIdleKiBPerConn).toFixed(1)} KiB/conn beyond what Node's sockets cost.`);
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      runtime: { type: 'string', default: 'node' },
      gib: { type: 'string', default: '1' },
      runs: { type: 'string', default: '3' },
      counts: { type: 'string', default: '1,10,100,1000' },
      json: { type: 'boolean', default: false },
    },
  });
  const rows = await runScale({ runtime: values.runtime, gib: Number(values.gib), runs: Number(values.runs), counts: values.counts.split(',').map(Number) });
  console.log(values.json ? JSON.stringify(rows, null, 2) : scaleTable(values.runtime, rows));
}
