// UDP relay benchmark (not a test): the examples/udp-relay relay (sosplice,
// direct path between two datagram endpoints) beside a hand-written relay on
// the same runtime (bench/udp/hand-*.mjs: receive callback → send), in
// interleaved rounds. Load generator: Node dgram clients (examples/udp-relay/
// _load.mjs) sending through the relay to a Node echo server, a window of 2
// datagrams in flight per client (a lost one costs the client 200 ms; losses are shown).
// Usage: node bench/udp.mjs [--quick] [node] [bun] [deno]   (after `pnpm build`)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { root, RUNTIMES, runtimeBinary, scriptArgs } from '../examples/_runtimes.mjs';
import { runClients, startEcho } from '../examples/udp-relay/_load.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const runtimes = args.filter((a) => !a.startsWith('--'));
const CLIENTS = 20;
const PER_CLIENT = quick ? 1_000 : 5_000;
const ROUNDS = 3;
const TICK_MS = 10; // USER_HZ = 100 on Linux

function cpu(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { user: Number(fields[11]) * TICK_MS, system: Number(fields[12]) * TICK_MS };
}

async function startVariant(runtime, variant, upstreamPort) {
  const script = variant === 'hand' ? `${root}bench/udp/hand-${runtime}.mjs` : `${root}examples/udp-relay/${runtime}.mjs`;
  const argv = variant === 'hand' ? ['0', String(upstreamPort)] : ['--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${upstreamPort}`, '--idle', '60000'];
  const child = spawn(runtimeBinary(runtime), scriptArgs(runtime, script, argv), { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const [line] = await once(lines, 'line');
  const port = Number(/127\.0\.0\.1:(\d+)/.exec(line)[1]);
  return { child, port };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(`| runtime | size | relay | datagrams/s | vs hand | user CPU ms / M datagrams | total CPU ms / M | vs hand (total) |`);
console.log(`|---|---|---|---|---|---|---|---|`);
for (const runtime of runtimes.length > 0 ? runtimes : RUNTIMES) {
  if (runtimeBinary(runtime) === undefined) continue;
  for (const size of [64, 1200]) {
    const figures = { hand: [], sosplice: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const variant of round % 2 === 0 ? ['hand', 'sosplice'] : ['sosplice', 'hand']) {
        const echo = await startEcho();
        const relay = await startVariant(runtime, variant, echo.port);
        const before = cpu(relay.child.pid);
        const started = performance.now();
        const { sent, echoed } = await runClients({ relayPort: relay.port, clients: CLIENTS, perClient: PER_CLIENT, size, window: 2, waitMs: 200 });
        const seconds = (performance.now() - started) / 1000;
        const after = cpu(relay.child.pid);
        // Each round trip is two datagrams through the relay (client → upstream, upstream → client).
        const forwarded = sent + echoed;
        figures[variant].push({ rate: forwarded / seconds, user: ((after.user - before.user) / forwarded) * 1e6, total: ((after.user + after.system - before.user - before.system) / forwarded) * 1e6, lost: sent - echoed });
        relay.child.kill('SIGKILL');
        await once(relay.child, 'exit');
        await echo.close();
      }
    }
    const row = (v) => ({ rate: median(figures[v].map((f) => f.rate)), user: median(figures[v].map((f) => f.user)), total: median(figures[v].map((f) => f.total)), lost: figures[v].reduce((s, f) => s + f.lost, 0) });
    const hand = row('hand');
    for (const v of ['hand', 'sosplice']) {
      const r = row(v);
      console.log(`| ${runtime} | ${size} B | ${v} | ${Math.round(r.rate)} | ${(r.rate / hand.rate).toFixed(2)}x | ${Math.round(r.user)} | ${Math.round(r.total)} | ${(r.total / hand.total).toFixed(2)}x |${r.lost ? ` lost ${r.lost}` : ''}`);
    }
  }
}
process.exit(0);
