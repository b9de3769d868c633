#!/usr/bin/env node
// Reliability soak (issue 7): one splice proxy built with this runtime's
// adapter, in front of a loopback echo server.
//
//   1. N short connections in sequence through the proxy, each a random
//      payload echoed back and compared byte for byte; afterwards no live
//      splice, idle timer or socket is left, and the heap after GC is within
//      10% of where it was after a warm-up.
//   2. A stalled drain under a fast source for S ms: peak memory stays
//      within the adapter's high-water marks plus a constant.
//
// Usage (built packages: `pnpm build` first):
//   node --expose-gc scripts/soak.mjs            short form (1,000 connections, 2 s stall), what the tests run
//   node --expose-gc scripts/soak.mjs --full     10,000 connections, 10 s stall
//   bun scripts/soak.mjs [--full]
//   deno run -A --v8-flags=--expose-gc scripts/soak.mjs [--full]
//   options: --connections N  --stall-ms MS  --generic (adapter streams only, no direct
//            dispatch)  --json (one JSON line on stdout)  --record (add the run to the
//            results RELIABILITY.md is made from: scripts/reliability-report.mjs)
// Exits 0 when every check held, 1 otherwise. Every phase is bounded in time.
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { procSockets as openSockets } from './_proc-sockets.mjs';

const { values: flags } = parseArgs({
  options: {
    full: { type: 'boolean', default: false },
    connections: { type: 'string' },
    'stall-ms': { type: 'string' },
    generic: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    record: { type: 'boolean', default: false },
  },
});
const full = flags.full;
const CONNECTIONS = Number(flags.connections ?? (full ? 10_000 : 1_000));
const STALL_MS = Number(flags['stall-ms'] ?? (full ? 10_000 : 2_000));
const JSON_OUT = flags.json;
/** `false`: every splice stays on the core's stream path (docs/adapters.md). */
const DIRECT = !flags.generic;
const HWM = 65_536;
/** Bytes the heap may hold beyond the adapters' high-water marks during the stall (runner and GC noise). */
const MEMORY_CONSTANT = 32 << 20;
const HEAP_TOLERANCE = 0.1;
/** ...plus this much, for heaps so small (Bun: ~3 MB) that 10% is allocator noise. */
const HEAP_SLACK = 1 << 20;
/** Bytes one read may hand over at once (Bun reads up to 256 KiB per data event); docs/contract.md#flow-and-memory's "plus one chunk". */
const MAX_CHUNK = 256 << 10;
/** Whole-run bound: the script gives up (and fails) rather than hang. */
const DEADLINE_MS = 60_000 + CONNECTIONS * 20 + STALL_MS * 2;

const runtime = globalThis.Deno ? 'deno' : globalThis.Bun ? 'bun' : 'node';
const root = new URL('../', import.meta.url);
const dist = (pkg) => new URL(`packages/${pkg}/dist/index.js`, root).href;
const { spliceBidirectional, idleClockStats } = await import(dist('core'));
const adapter = await import(dist(`${runtime}-adapter`));

const log = (...args) => {
  if (!JSON_OUT) console.log(...args);
};
const figures = { runtime, path: DIRECT ? 'direct' : 'generic', connections: 0, bytesChecked: 0, mismatches: 0 };
const failures = [];
const check = (ok, what) => {
  if (!ok) failures.push(what);
};

const watchdog = setTimeout(() => {
  failures.push(`deadline of ${DEADLINE_MS} ms passed`);
  finish();
}, DEADLINE_MS);

// --- counters ---


async function heapAfterGc() {
  const gc = globalThis.gc ?? (globalThis.Bun ? () => globalThis.Bun.gc(true) : undefined);
  if (gc === undefined) return undefined;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  return process.memoryUsage().heapUsed;
}

const memoryNow = () => {
  const m = process.memoryUsage();
  return m.heapUsed + (m.arrayBuffers ?? 0);
};

async function until(condition, ms, what) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

// --- the proxy: this runtime's adapter on both sides ---

let liveSplices = 0;
const proxyEndpoints = new Set();

function spliceTo(client, upstreamPort) {
  (async () => {
    const upstream =
      runtime === 'node'
        ? await adapter.connect({ hostname: '127.0.0.1', port: upstreamPort, direct: DIRECT })
        : await adapter.connect({ hostname: '127.0.0.1', port: upstreamPort, direct: DIRECT });
    proxyEndpoints.add(client).add(upstream);
    liveSplices++;
    const pair = spliceBidirectional(client, upstream, { idle: 30_000 });
    await pair.done;
    liveSplices--;
    // Both directions ended at EOF: the adapter closes each socket itself (docs/adapters.md).
    await Promise.all([client.closed.catch(() => {}), upstream.closed.catch(() => {})]);
    proxyEndpoints.delete(client);
    proxyEndpoints.delete(upstream);
  })().catch((error) => failures.push(`proxy: ${error?.code ?? ''} ${error?.message ?? error}`));
}

/** Starts a proxy to `upstreamPort`; resolves to `{ port, close() }`. */
async function startProxy(upstreamPort) {
  if (runtime === 'node') {
    const server = net.createServer({ allowHalfOpen: true }, (socket) => spliceTo(adapter.wrap(socket, { direct: DIRECT }), upstreamPort));
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    return { port: server.address().port, close: () => new Promise((r) => server.close(r)) };
  }
  if (runtime === 'bun') {
    const listener = await adapter.listen({ hostname: '127.0.0.1', port: 0, direct: DIRECT });
    (async () => {
      for await (const socket of listener) spliceTo(socket, upstreamPort);
    })().catch(() => {});
    return { port: listener.port, close: () => listener.close() };
  }
  const listener = await adapter.listen({ hostname: '127.0.0.1', port: 0, direct: DIRECT });
  (async () => {
    for await (const socket of listener) spliceTo(socket, upstreamPort);
  })().catch(() => {});
  return { port: listener.port, close: () => listener.close() };
}

// --- raw peers (node:net in every runtime): an echo server, a sink that never reads, clients ---

async function listenRaw(onSocket) {
  const server = net.createServer({ allowHalfOpen: true }, onSocket);
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    close: () => {
      for (const s of sockets) {
        if (typeof s.resetAndDestroy === 'function') s.resetAndDestroy();
        else s.destroy();
      }
      return new Promise((r) => server.close(r));
    },
  };
}

let seed = 1;
function payload() {
  seed = (seed * 1103515245 + 12345) >>> 0;
  const n = 1 + (seed % 16_384);
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = (seed + i * 31) & 0xff;
  return out;
}

/** One short connection: send, FIN, read the echo to its FIN, compare. */
function roundTrip(port) {
  return new Promise((resolve, reject) => {
    const data = payload();
    const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const parts = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('round trip timed out after 10 s'));
    }, 10_000);
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('data', (d) => parts.push(d));
    socket.on('end', () => {
      clearTimeout(timer);
      socket.end();
      const got = Buffer.concat(parts);
      figures.connections++;
      figures.bytesChecked += data.length + got.length;
      if (!got.equals(data)) figures.mismatches++;
      resolve();
    });
    socket.on('connect', () => socket.end(data));
  });
}

// --- phase 1: short connections in sequence ---

async function shortConnections() {
  const echo = await listenRaw((socket) => socket.pipe(socket));
  const proxy = await startProxy(echo.port);
  const warmup = Math.min(100, CONNECTIONS);
  for (let i = 0; i < warmup; i++) await roundTrip(proxy.port);
  await until(() => liveSplices === 0 && proxyEndpoints.size === 0, 10_000, 'warm-up splices to end');
  const sockets = openSockets();
  const heap = await heapAfterGc();
  const started = Date.now();
  for (let i = warmup; i < CONNECTIONS; i++) await roundTrip(proxy.port);
  figures.connectionsPerSecond = Math.round(((CONNECTIONS - warmup) / (Date.now() - started)) * 1000);
  await until(() => liveSplices === 0 && proxyEndpoints.size === 0, 10_000, 'every splice to end and close its sockets');
  await until(() => idleClockStats().watched === 0, 10_000, 'the idle clock to empty');
  await until(() => openSockets() <= sockets, 10_000, `open sockets back to ${sockets}`);
  figures.socketsLeft = openSockets() - sockets;
  figures.idleTimerArmed = Number(idleClockStats().timerArmed);
  check(figures.mismatches === 0, `${figures.mismatches} echoes differ`);
  check(figures.connections === CONNECTIONS, `${figures.connections} of ${CONNECTIONS} connections completed`);
  check(!idleClockStats().timerArmed, 'idle timer still armed');
  if (runtime === 'node') {
    const handles = process.getActiveResourcesInfo().filter((h) => h !== 'Timeout');
    figures.handles = handles.length;
  }
  const heapAfter = await heapAfterGc();
  if (heap !== undefined && heapAfter !== undefined) {
    figures.heapBefore = heap;
    figures.heapAfter = heapAfter;
    figures.heapGrowthPct = Math.round(((heapAfter - heap) / heap) * 1000) / 10;
    check(heapAfter <= heap * (1 + HEAP_TOLERANCE) + HEAP_SLACK, `heap grew ${figures.heapGrowthPct}% (limit ${HEAP_TOLERANCE * 100}% + 1 MiB)`);
  } else figures.heapChecked = 0;
  await proxy.close();
  await echo.close();
}

// --- phase 2: a stalled drain under a fast source ---

async function stalledDrain() {
  const sink = await listenRaw((socket) => socket.pause());
  const proxy = await startProxy(sink.port);
  await heapAfterGc();
  const base = memoryNow();
  let peak = base;
  let peakBuffered = 0;
  let sent = 0;
  const client = net.connect({ host: '127.0.0.1', port: proxy.port });
  client.on('error', () => {});
  await new Promise((r) => client.once('connect', r));
  const chunk = Buffer.alloc(65_536, 7);
  const stopAt = Date.now() + STALL_MS;
  const sampler = setInterval(() => {
    peak = Math.max(peak, memoryNow());
    for (const e of proxyEndpoints) {
      const buffered = e.stats?.bufferedAmount ?? (e.readableBuffered ?? 0) + (e.writableBuffered ?? 0);
      peakBuffered = Math.max(peakBuffered, buffered);
    }
  }, 20);
  // As fast as the proxy takes it: write until the kernel pushes back, then wait for 'drain'.
  while (Date.now() < stopAt) {
    sent += chunk.length;
    if (!client.write(chunk)) {
      await Promise.race([new Promise((r) => client.once('drain', r)), new Promise((r) => setTimeout(r, Math.max(1, stopAt - Date.now())))]);
    }
  }
  clearInterval(sampler);
  figures.stallMs = STALL_MS;
  figures.stallBytesAccepted = sent - client.writableLength;
  figures.stallPeakMemoryGrowth = peak - base;
  figures.stallPeakAdapterBuffered = peakBuffered;
  // Two sockets, each with a readable and a writable high-water mark, plus one chunk each.
  const adapterBound = 2 * (2 * HWM + MAX_CHUNK);
  check(peakBuffered <= adapterBound, `adapter buffered ${peakBuffered} bytes, bound ${adapterBound}`);
  check(peak - base <= adapterBound + MEMORY_CONSTANT, `memory grew ${peak - base} bytes under a stalled drain`);
  // A drain that never reads holds its splice open (an EOF waits for the close to flush, docs/contract.md#unsplice):
  // the sink resets its socket (unread data: RST) and the client goes, which ends both directions.
  await sink.close();
  client.destroy();
  await until(() => liveSplices === 0, 10_000, 'the stalled splice to end once both peers are gone');
  await proxy.close();
}

// --- run ---

/** One row for the report, in the format of test/reliability/_record.ts. */
function record(ok) {
  const name = runtime === 'node' ? `node${process.versions.node.split('.')[0]}` : runtime;
  const dir = new URL('node_modules/.cache/sosplice-reliability/', root);
  mkdirSync(dir, { recursive: true });
  const numbers = Object.fromEntries(Object.entries(figures).filter(([, v]) => typeof v === 'number'));
  const row = {
    section: 'Load and leaks',
    scenario: `soak${full ? ', full' : ''}: ${CONNECTIONS.toLocaleString('en')} short connections in sequence + a ${STALL_MS / 1000} s stalled drain (scripts/soak.mjs)`,
    runtime: name,
    path: `${runtime}:tcp:${figures.path}`,
    result: ok ? 'pass' : 'fail',
    figures: numbers,
    ms: Math.round(performance.now()),
    ...(ok ? {} : { error: failures.join('; ').slice(0, 200) }),
  };
  const file = new URL(`${name}.soak-${CONNECTIONS}-${figures.path}.json`, dir);
  writeFileSync(file, JSON.stringify({ runtime: name, file: 'soak', at: new Date().toISOString(), rows: [row] }, null, 1));
}

let finished = false;
function finish() {
  if (finished) return;
  finished = true;
  clearTimeout(watchdog);
  const ok = failures.length === 0;
  if (flags.record) record(ok);
  if (JSON_OUT) console.log(JSON.stringify({ ok, failures, figures }));
  else {
    console.log(figures);
    console.log(ok ? 'soak: ok' : `soak: FAILED\n  ${failures.join('\n  ')}`);
  }
  process.exit(ok ? 0 : 1);
}

try {
  log(`soak on ${runtime} (${figures.path}): ${CONNECTIONS} connections, ${STALL_MS} ms stalled drain`);
  await shortConnections();
  await stalledDrain();
} catch (error) {
  failures.push(String(error?.stack ?? error));
}
finish();
