// The tcp-proxy demo: a loopback target, the proxy (a child process under
// the runtime you pick) and a client in this process push MiB both ways
// through one spliced connection, then the proxy is stopped with SIGINT.
//
//   node examples/tcp-proxy/demo.mjs [--runtime node|bun|deno] [--mib 128]
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { nativeStatus } from '@sosplice/native';
import { RUNTIMES, runtimeBinary } from '../_runtimes.mjs';
import { parseConnLine, processCpuSeconds, runClient, startProxy, startTarget } from './_harness.mjs';

const { values } = parseArgs({
  options: { runtime: { type: 'string', default: 'node' }, mib: { type: 'string', default: '128' } },
});
const mib = Number(values.mib);
if (!RUNTIMES.includes(values.runtime) || !(mib > 0)) {
  console.error(`usage: node examples/tcp-proxy/demo.mjs [--runtime ${RUNTIMES.join('|')}] [--mib N]`);
  process.exit(2);
}
if (runtimeBinary(values.runtime) === undefined) {
  console.error(`demo: ${values.runtime} is not installed (pnpm install puts bun and deno in node_modules)`);
  process.exit(1);
}

const MiB = 1024 * 1024;
const each = mib * MiB;
const total = 2 * each;
let moved = 0;

const target = await startTarget({ reply: each, onProgress: (n) => (moved += n) });
const proxy = await startProxy(values.runtime, ['--listen', '127.0.0.1:0', '--target', `127.0.0.1:${target.port}`]);
console.log(`proxy (${values.runtime}, pid ${proxy.child.pid}) ${proxy.lines[0]}`);
console.log(`pushing ${mib} MiB each way through one connection\n`);

const bar = progressBar(() => moved / total);
// Which path ran: the kernel path's splice threads are named, so look for them in the proxy.
let spliceThreads = 0;
const sampler = setInterval(() => (spliceThreads = Math.max(spliceThreads, countSpliceThreads(proxy.child.pid))), 50);
const cpu0 = processCpuSeconds(proxy.child.pid);
const t0 = performance.now();
const client = await runClient(proxy.port, each, (n) => (moved += n));
await target.connections[0].done;
const elapsed = (performance.now() - t0) / 1000;
const cpu1 = processCpuSeconds(proxy.child.pid);
bar.stop();
clearInterval(sampler);

const logLine = await proxy.waitFor(/ up \d+ B/);
const status = await proxy.stop();
await target.close();
const totalsLine = proxy.lines.find((l) => l.startsWith('totals:'));
const conn = parseConnLine(logLine);
const server = target.connections[0];
const upOk = server.received.sha256 === client.sent.sha256 && server.received.bytes === each;
const downOk = client.received.sha256 === server.sent.sha256 && client.received.bytes === each;
const cpu = cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined;

const gib = total / 2 ** 30;
console.log(`client → target  ${fmt(conn.up)}  ${conn.upReason}  sha256 ${upOk ? 'equal' : 'DIFFERENT'}`);
console.log(`target → client  ${fmt(conn.down)}  ${conn.downReason}  sha256 ${downOk ? 'equal' : 'DIFFERENT'}`);
console.log(`throughput       ${((total * 8) / elapsed / 1e9).toFixed(2)} Gbit/s (${(gib / elapsed).toFixed(2)} GiB/s, both directions, ${elapsed.toFixed(2)} s)`);
if (cpu !== undefined) console.log(`proxy CPU        ${cpu.toFixed(2)} s (${(cpu / gib).toFixed(2)} s per GiB)`);
console.log(`path             ${pathLine()}`);
console.log(`\nproxy log:\n  ${logLine}\n  ${totalsLine ?? '(no totals line)'}\nproxy exit code  ${status.code}`);
process.exit(upOk && downOk && status.code === 0 ? 0 : 1);

/** Threads of `pid` named by @sosplice/native's splice threads (Linux /proc). */
function countSpliceThreads(pid) {
  try {
    return readdirSync(`/proc/${pid}/task`).filter((tid) => {
      try {
        return readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim() === 'sosplice-splice';
      } catch {
        return false;
      }
    }).length;
  } catch {
    return 0;
  }
}

function pathLine() {
  if (spliceThreads > 0) return `kernel: splice(2) on ${spliceThreads} splice thread(s) in the proxy, bytes never entered JavaScript`;
  if (values.runtime === 'deno') return 'JS direct dispatch (Deno exposes no socket fd, so no kernel path)';
  const status = nativeStatus();
  return `JS direct dispatch (kernel path not used: ${status.available ? (status.enabled ? 'no splice thread seen' : 'turned off') : status.reason})`;
}

function fmt(bytes) {
  return `${(bytes / MiB).toFixed(1).padStart(7)} MiB (${bytes} B)`;
}

/** A bar on stderr, redrawn every 100 ms when it is a terminal; one final line otherwise. */
function progressBar(fraction) {
  const tty = process.stderr.isTTY;
  const draw = () => {
    const f = Math.min(1, fraction());
    const width = 40;
    const filled = Math.round(f * width);
    process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(f * 100).toFixed(0).padStart(3)}%  ${((f * total) / MiB).toFixed(0)}/${total / MiB} MiB`);
  };
  const timer = tty ? setInterval(draw, 100) : undefined;
  return {
    stop() {
      clearInterval(timer);
      draw();
      process.stderr.write('\n\n');
    },
  };
}
