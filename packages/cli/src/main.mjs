#!/usr/bin/env node
// sosplice: a splicing TCP proxy. `npx sosplice`, `bunx sosplice` and
// `deno run -A npm:sosplice` each run it with their own runtime's adapter.
import process from 'node:process';
import { flagsOrExit } from './flags.mjs';
import { serveMetrics } from './metrics.mjs';
import { createProxy, formatAddress } from './proxy.mjs';
import { hasReusePort, isWorker, supervise } from './workers.mjs';

const runtime = globalThis.Deno ? 'deno' : globalThis.Bun ? 'bun' : 'node';
const argv = process.argv.slice(2);
const exit = (code) => process.exit(code);
const flags = flagsOrExit(argv, exit);

// With --workers, this process supervises and the workers serve.
const reusePort = flags.workers > 1 && hasReusePort(runtime);
if (flags.workers > 1 && !isWorker()) await supervise(flags.workers, argv, runtime);
else await serve();

async function serve() {
  const { connectTo, listen } = await import(`./serve-${runtime}.mjs`);
  const target = formatAddress(flags.target.host, flags.target.port);
  const proxy = createProxy({ target, connectTarget: connectTo(flags.target), idle: flags.idle, max: flags.max, linked: flags.linked, json: flags.json });
  let server;
  try {
    server = await listen(flags, proxy, { reusePort });
  } catch (error) {
    console.error(`sosplice: cannot listen on ${formatAddress(flags.listen.host, flags.listen.port)}: ${error.message}`);
    exit(1);
  }
  const metrics = flags.metrics && (await serveMetrics(flags.metrics, proxy));
  proxy.listening(server.address);
  const ticker = flags.totals > 0 ? setInterval(proxy.printTotals, flags.totals * 1000) : undefined;

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    server.close(); // stop accepting; live connections get --drain ms to finish
    clearInterval(ticker);
    await proxy.shutdown(flags.drain);
    metrics?.close();
    exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM']) {
    if (globalThis.Deno) Deno.addSignalListener(signal, stop);
    else process.on(signal, stop);
  }
}
