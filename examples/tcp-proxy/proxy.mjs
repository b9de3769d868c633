// The proxy itself, runtime-neutral: each entry (node.mjs, bun.mjs,
// deno.mjs) accepts clients with its runtime's adapter and hands every one to
// `handle()`, with a function that connects to the target the same way.
// Everything else (splicing, the log, the totals, shutdown) is here, once.
import { spliceBidirectional } from '@sosplice/core';

/** `host:port`, with brackets for IPv6 as in a URL. */
export function formatAddress(host, port) {
  return host?.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function describe(result) {
  if (result.reason !== 'error') return `${result.bytes} B (${result.reason})`;
  const error = result.error;
  return `${result.bytes} B (error: ${error?.code ?? error?.message ?? String(error)})`;
}

const seconds = (ms) => `${(ms / 1000).toFixed(3)} s`;

/** CPU seconds this process used so far; every runtime has `process.cpuUsage` (Deno through its Node layer). */
function cpuSeconds() {
  const usage = globalThis.process?.cpuUsage?.();
  return usage === undefined ? undefined : (usage.user + usage.system) / 1e6;
}

/**
 * @param {object} options
 * @param {() => Promise<import('@sosplice/core').SpliceEndpoint & { close(): Promise<void> }>} options.connectTarget
 * @param {string} options.target  for the log
 * @param {number} [options.idle]  per-direction idle timeout (ms), 0 = none
 * @param {number} [options.max]   per-direction byte limit, 0 = none
 * @param {(line: string) => void} [options.log]
 */
export function createProxy({ connectTarget, target, idle = 0, max = 0, log = console.log }) {
  /** Splices in flight, so that shutdown can unsplice them. */
  const live = new Set();
  /** Every connection's handling, so that shutdown can wait for its log line. */
  const handling = new Set();
  const totals = { connections: 0, failed: 0, up: 0, down: 0, unspliced: 0 };
  let stopping = false;

  async function serve(client, peer) {
    const started = performance.now();
    let upstream;
    try {
      upstream = await connectTarget();
    } catch (error) {
      // One unreachable target costs one client, not the proxy.
      totals.failed++;
      log(`${peer} error: cannot reach ${target}: ${error?.message ?? error}`);
      await client.close();
      return;
    }
    if (stopping) {
      // Shutdown began while we were connecting: there is nothing to unsplice.
      totals.unspliced++;
      log(`${peer} up 0 B (unsplice), down 0 B (unsplice), ${seconds(performance.now() - started)}`);
      await Promise.all([client.close(), upstream.close()]);
      return;
    }
    // Each direction ends on its own (docs/contract.md#how-a-splice-ends): a client's FIN reaches the
    // target as a FIN and the target's answer still flows back.
    const pair = spliceBidirectional(client, upstream, { idle, max });
    live.add(pair);
    const [up, down] = await pair.done;
    live.delete(pair);
    totals.up += up.bytes;
    totals.down += down.bytes;
    if (up.reason === 'unsplice' || down.reason === 'unsplice') totals.unspliced++;
    // After max, idle or unsplice the sockets are open and ours again (docs/contract.md
    // 5); this proxy has nothing more to say on them, so it closes both.
    await Promise.all([client.close(), upstream.close()]);
    log(`${peer} up ${describe(up)}, down ${describe(down)}, ${seconds(performance.now() - started)}`);
  }

  return {
    totals,
    /** Number of connections being served. */
    get active() {
      return handling.size;
    },
    /** Serves one accepted client; `peer` names it in the log. */
    handle(client, peer) {
      totals.connections++;
      const task = serve(client, peer).catch((error) => log(`${peer} error: ${error?.stack ?? error}`));
      handling.add(task);
      task.finally(() => handling.delete(task));
      return task;
    },
    /** The line every entry prints once it listens (the demo and tests read it). */
    listening(address) {
      log(`listening on ${address}, forwarding to ${target}`);
    },
    /**
     * Unsplices every live connection, waits for their log lines and prints
     * the totals. The entry stops accepting before calling this.
     */
    async shutdown() {
      stopping = true;
      for (const pair of live) pair.unsplice();
      while (handling.size > 0) await Promise.all(handling);
      const cpu = cpuSeconds();
      log(
        `totals: ${totals.connections} connections, ${totals.failed} failed, ${totals.unspliced} unspliced, ` +
          `up ${totals.up} B, down ${totals.down} B` +
          (cpu === undefined ? '' : `, cpu ${cpu.toFixed(3)} s`),
      );
      return totals;
    },
  };
}

/**
 * Runs `stop` once on the first SIGINT or SIGTERM, then exits 0.
 * `on(signal, listener)` and `exit(code)` are the runtime's own.
 */
export function stopOnSignals(on, stop, exit) {
  let stopped = false;
  const handler = async () => {
    if (stopped) return;
    stopped = true;
    await stop();
    exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM']) on(signal, handler);
}
