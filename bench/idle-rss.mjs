// Idle RSS per spliced connection (issue 10): `connections` clients held open
// through each runtime's proxies to an upstream in this process that echoes
// and holds every connection. Per round, every variant in rotated order, on
// a fresh proxy: warm up (`warm` connections opened, one byte each way,
// closed), read the proxy's VmRSS, open the clients, send one byte each and
// wait for every echo (so both directions of every connection are live end
// to end), read VmRSS again. (after - before) / connections = the userspace
// cost of one idle proxied connection (kernel socket buffers are not in RSS).
import net from 'node:net';
import { processRss } from '../examples/tcp-proxy/_harness.mjs';
import { openClients } from './_loopback.mjs';
import { openFileLimit } from './_procfs.mjs';
import { attempt, fixed, medianOf, pairedRatio, PROXIES, ratioText, rotate, startVariant, variantsOf, within } from './_proxies.mjs';

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));
const STEP_LIMIT_MS = 60_000;

/** An upstream that echoes and holds every connection; `until(n)` resolves once n are open. */
async function startHolder() {
  const sockets = new Set();
  let want = -1;
  let wake;
  const check = () => sockets.size === want && wake?.();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('data', (chunk) => socket.write(chunk));
    socket.on('end', () => socket.end());
    socket.on('close', () => {
      sockets.delete(socket);
      check();
    });
    check();
  });
  server.listen(0, '127.0.0.1', 4096);
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    port: server.address().port,
    until(n) {
      want = n;
      return sockets.size === n ? Promise.resolve() : new Promise((resolve) => (wake = resolve));
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Opens `n` clients through `port`, one byte each way on each; resolves once every echo is back. */
async function openEchoed(port, n) {
  const clients = await openClients(port, n);
  await Promise.all(
    clients.map(
      (c) =>
        new Promise((resolve, reject) => {
          c.once('data', resolve);
          c.once('close', () => reject(new Error('a client was closed before its echo')));
          c.write('!');
        }),
    ),
  );
  return clients;
}

async function oneRun(runtime, proxyName, holder, { connections, warm }) {
  const proxy = await startVariant(runtime, proxyName, holder.port);
  const pid = proxy.child.pid;
  let clients = [];
  try {
    const warmClients = await within(openEchoed(proxy.port, warm), STEP_LIMIT_MS, 'warm-up');
    for (const c of warmClients) c.destroy();
    await within(holder.until(0), STEP_LIMIT_MS, 'warm-up connections closing');
    await settle();
    const before = processRss(pid);
    clients = await within(openEchoed(proxy.port, connections), STEP_LIMIT_MS, `${connections} connections`);
    await within(holder.until(connections), STEP_LIMIT_MS, 'upstream connections');
    await settle();
    return (processRss(pid) - before) / connections / 1024;
  } finally {
    for (const c of clients) c.destroy();
    await proxy.stop(10_000);
    await within(holder.until(0), STEP_LIMIT_MS, 'connections closing').catch(() => {});
  }
}

/**
 * Runs the idle RSS benchmark; resolves to `{ settings, rows, errors }` with KiB per connection
 * (medians) and ratios. A proxy that fails a round leaves a hole there and an entry in `errors`.
 */
export async function runIdle({ runtimes, rounds = 3, connections = 1000, warm = 50, log = console.error }) {
  const needed = 2 * connections + 200; // this process holds both ends (clients and upstream sockets)
  if (openFileLimit() < needed) {
    throw new Error(`ulimit -n is ${openFileLimit()}; ${connections} idle connections need at least ${needed} open files here and in the proxy: run \`ulimit -n 4096\` first`);
  }
  const variants = variantsOf(runtimes);
  const key = (v) => `${v.runtime}/${v.proxy}`;
  const samples = new Map(variants.map((v) => [key(v), []]));
  const errors = [];
  const holder = await startHolder();
  try {
    for (let round = 0; round < rounds; round++) {
      for (const v of rotate(variants, round)) {
        const kib = await attempt(`idle ${key(v)} round ${round + 1}`, errors, log, () => oneRun(v.runtime, v.proxy, holder, { connections, warm }));
        samples.get(key(v))[round] = kib;
        if (kib !== undefined) log(`idle round ${round + 1}/${rounds} ${key(v).padEnd(17)} ${kib.toFixed(1)} KiB/conn at ${connections}`);
      }
    }
  } finally {
    await holder.close();
  }
  const rows = variants.map((v) => {
    const xs = samples.get(key(v));
    return { ...v, kibPerConn: medianOf(xs), ratio: v.proxy.startsWith('sosplice') ? pairedRatio(xs, samples.get(`${v.runtime}/baseline`)) : undefined };
  });
  return { settings: { rounds, connections, warm }, rows, errors };
}

/** The idle rows as a Markdown table (ratio = sosplice over the baseline; target <= 1.1x). */
export function idleTable({ rows, settings }) {
  return [
    `| runtime | proxy | idle KiB/conn at ${settings.connections.toLocaleString('en')} | ratio |`,
    '|---|---|---:|---:|',
    ...rows.map((r) => `| ${r.runtime} | ${PROXIES[r.proxy].label(r.runtime)} | ${fixed(r.kibPerConn, 1)} | ${ratioText(r.ratio)} |`),
  ].join('\n');
}
