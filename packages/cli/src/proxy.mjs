// The proxy, runtime-neutral: each runtime's entry (serve-*.mjs) accepts
// clients with its adapter and hands every one to `handle()`, with a function
// that connects to the target the same way. Splicing, the log, the totals,
// the counters behind --metrics and the graceful stop are here, once.
import { spliceBidirectional } from '@sosplice/core';

/** `host:port`, with brackets for IPv6 as in a URL. */
export function formatAddress(host, port) {
  return host?.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

const REASONS = ['eof', 'max', 'idle', 'unsplice', 'error'];
/** Both directions of a connection that was never spliced (the proxy was stopping). */
const NOT_SPLICED = [{ reason: 'unsplice', bytes: 0 }, { reason: 'unsplice', bytes: 0 }];

function errorText(error) {
  return error?.code ?? error?.message ?? String(error);
}

function describe(result) {
  if (result.reason !== 'error') return `${result.bytes} B (${result.reason})`;
  return `${result.bytes} B (error: ${errorText(result.error)})`;
}

function direction(result) {
  return result.reason === 'error' ? { bytes: result.bytes, reason: 'error', error: errorText(result.error) } : { bytes: result.bytes, reason: result.reason };
}

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
 * @param {boolean} [options.linked] end the pair as one connection (docs/contract.md#linked-pairs)
 * @param {boolean} [options.json] log JSON lines
 * @param {(line: string) => void} [options.log]
 */
export function createProxy({ connectTarget, target, idle = 0, max = 0, linked = false, json = false, log = console.log }) {
  /** Splices in flight: shutdown unsplices them, metrics read their live counts. */
  const live = new Set();
  /** Every connection's handling by its client, so that shutdown can wait for its log line. */
  const handling = new Map();
  const totals = { connections: 0, failed: 0, up: 0, down: 0, unspliced: 0, endings: Object.fromEntries(REASONS.map((r) => [r, 0])) };
  let stopping = false;
  const pid = globalThis.process?.pid;
  const emit = (event, { line, data }) => log(json ? JSON.stringify({ event, ...data, pid }) : line);
  const options = { idle, max, linked };

  // One line per connection: only the form that is printed is built.
  function logConnection(peer, up, down, seconds) {
    if (json) log(JSON.stringify({ event: 'connection', peer, target, up: direction(up), down: direction(down), seconds, pid }));
    else log(`${peer} up ${describe(up)}, down ${describe(down)}, ${seconds.toFixed(3)} s`);
  }

  async function serve(client, peer) {
    try {
      await proxyConnection(client, peer);
    } catch (error) {
      log(`${peer} error: ${error?.stack ?? error}`);
    } finally {
      handling.delete(client);
    }
  }

  async function proxyConnection(client, peer) {
    const started = performance.now();
    let upstream;
    try {
      upstream = await connectTarget();
    } catch (error) {
      // One unreachable target costs one client, not the proxy.
      totals.failed++;
      emit('error', { line: `${peer} error: cannot reach ${target}: ${error?.message ?? error}`, data: { peer, target, error: errorText(error) } });
      await client.close();
      return;
    }
    const pair = stopping ? undefined : spliceBidirectional(client, upstream, options);
    // Each direction ends on its own (docs/contract.md#how-a-splice-ends): a
    // client's FIN reaches the target as a FIN and the answer still flows back.
    if (pair !== undefined) live.add(pair);
    const [up, down] = pair === undefined ? NOT_SPLICED : await pair.done;
    live.delete(pair);
    totals.up += up.bytes;
    totals.down += down.bytes;
    totals.endings[up.reason]++;
    totals.endings[down.reason]++;
    if (up.reason === 'unsplice' || down.reason === 'unsplice') totals.unspliced++;
    // After max, idle or unsplice the sockets are open and ours again; this
    // proxy has nothing more to say on them, so it closes both (at once, then waits for both).
    const closingUpstream = upstream.close();
    await client.close();
    await closingUpstream;
    logConnection(peer, up, down, (performance.now() - started) / 1000);
  }

  function printTotals() {
    const cpu = cpuSeconds();
    const t = totals;
    emit('totals', {
      line:
        `totals: ${t.connections} connections, ${t.failed} failed, ${t.unspliced} unspliced, up ${t.up} B, down ${t.down} B` +
        (cpu === undefined ? '' : `, cpu ${cpu.toFixed(3)} s`),
      data: { connections: t.connections, active: handling.size, failed: t.failed, unspliced: t.unspliced, up: t.up, down: t.down, cpu },
    });
  }

  return {
    totals,
    /** Connections being served now. */
    get active() {
      return handling.size;
    },
    /** Bytes moved so far each way, live splices included. */
    bytes() {
      let up = totals.up;
      let down = totals.down;
      for (const pair of live) {
        up += pair.aToB.bytes;
        down += pair.bToA.bytes;
      }
      return { up, down };
    },
    /** Serves one accepted client; `peer` names it in the log. */
    handle(client, peer) {
      totals.connections++;
      // serve() awaits before it ends: its own finally finds this entry to delete.
      const task = serve(client, peer);
      handling.set(client, task);
      return task;
    },
    /** The line every entry prints once it listens (the tests read it). */
    listening(address) {
      emit('listening', { line: `listening on ${address}, forwarding to ${target}`, data: { address, target } });
    },
    printTotals,
    /**
     * Lets live connections finish for up to `drainMs`, then unsplices the
     * rest, waits for their log lines and prints the totals. The entry stops
     * accepting before calling this.
     */
    async shutdown(drainMs = 0) {
      stopping = true;
      const active = handling.size;
      emit('stopping', { line: `stopping: ${active} live connections, draining up to ${drainMs} ms`, data: { active, drainMs } });
      if (handling.size > 0 && drainMs > 0) {
        let timer;
        const deadline = new Promise((resolve) => (timer = setTimeout(resolve, drainMs)));
        await Promise.race([Promise.all(handling.values()), deadline]);
        clearTimeout(timer);
      }
      for (const pair of live) pair.unsplice();
      while (handling.size > 0) await Promise.all(handling.values());
      printTotals();
      return totals;
    },
  };
}
