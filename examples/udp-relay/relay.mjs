// The UDP relay itself, runtime-neutral (a DNS-forwarder shape): each entry
// (node.mjs, bun.mjs, deno.mjs) passes its adapter's bindDatagram and
// connectDatagram. A client is learned from its first datagram; it gets its
// own socket toward the upstream and a linked splice pair between the two,
// which `idle` ends once neither way moved, forgetting the client.
import { spliceBidirectional } from '@sosplice/core';
import { parseArgs } from 'node:util';

/** `host:port` → { hostname, port }; brackets for IPv6 as in a URL. */
export function parseAddress(text) {
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(text ?? '');
  if (match === null) throw new TypeError(`expected host:port, got ${JSON.stringify(text)}`);
  return { hostname: match[1], port: Number(match[2]) };
}

export function formatAddress({ hostname, port }) {
  return hostname.includes(':') ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}

/** Datagrams an endpoint passed on: received, less dropped on a full queue and still queued. */
const passed = (endpoint) => endpoint.received - endpoint.dropped - endpoint.queued;

const describe = (result) => (result.reason === 'error' ? `error: ${result.error?.code ?? result.error?.message ?? result.error}` : result.reason);

/**
 * @param {object} options
 * @param {import('@sosplice/core/datagram').DatagramEndpoint} options.listener  bound, where clients send
 * @param {(client: { hostname: string, port: number }) => Promise<import('@sosplice/core/datagram').DatagramEndpoint>} options.connectUpstream
 * @param {number} options.idle  ms without a datagram either way before a client is forgotten
 * @param {(line: string) => void} [options.log]
 */
export function createRelay({ listener, connectUpstream, idle, log = console.log }) {
  const live = new Map();
  const totals = { clients: 0, up: 0, down: 0, dropped: 0, failed: 0 };

  async function serve(session, client) {
    const started = performance.now();
    const name = formatAddress(client);
    let upstream;
    try {
      upstream = await connectUpstream(client);
    } catch (error) {
      totals.failed++;
      totals.dropped += session.received;
      log(`${name} error: cannot open the upstream socket: ${error?.message ?? error}`);
      await session.close();
      return;
    }
    // Linked (docs/contract.md#linked-pairs): the pair is one conversation, idle when neither way moves.
    const pair = spliceBidirectional(session, upstream, { linked: true, idle });
    live.set(name, pair);
    const [up, down] = await pair.done;
    live.delete(name);
    const counts = { up: passed(session), down: passed(upstream), dropped: session.dropped + upstream.dropped + session.queued + upstream.queued };
    totals.up += counts.up;
    totals.down += counts.down;
    totals.dropped += counts.dropped;
    await Promise.all([session.close(), upstream.close()]);
    const seconds = ((performance.now() - started) / 1000).toFixed(3);
    log(`${name} up ${counts.up} datagrams ${up.bytes} B, down ${counts.down} datagrams ${down.bytes} B, dropped ${counts.dropped}, ${describe(up)}/${describe(down)}, ${seconds} s`);
  }

  const serving = new Set();
  listener.onNewPeer = (session, hostname, port) => {
    totals.clients++;
    const task = serve(session, { hostname, port }).finally(() => serving.delete(task));
    serving.add(task);
  };

  return {
    totals,
    get active() {
      return serving.size;
    },
    /** Ends every pair (their lines are logged), then closes the listener; resolves when all are done. */
    async shutdown() {
      listener.onNewPeer = undefined;
      await Promise.all([...live.values()].map((pair) => pair.unsplice()));
      await Promise.all(serving);
      await listener.close();
      log(`relay: clients ${totals.clients}, up ${totals.up} datagrams, down ${totals.down} datagrams, dropped ${totals.dropped}, failed ${totals.failed}`);
    },
  };
}

/** The whole program, for each runtime's entry. */
export async function main({ args, bindDatagram, connectDatagram, onSignal, exit }) {
  let flags;
  try {
    const { values } = parseArgs({ args, options: { listen: { type: 'string', default: '127.0.0.1:5353' }, upstream: { type: 'string' }, idle: { type: 'string', default: '30000' } } });
    flags = { listen: parseAddress(values.listen), upstream: parseAddress(values.upstream), idle: Number(values.idle) };
    if (!Number.isInteger(flags.idle) || flags.idle <= 0) throw new TypeError(`--idle must be a positive number of ms, got ${values.idle}`);
  } catch (error) {
    console.error(`udp-relay: ${error.message}\nusage: udp-relay --listen host:port --upstream host:port [--idle ms]`);
    return exit(2);
  }
  const listener = await bindDatagram(flags.listen);
  const relay = createRelay({
    listener,
    idle: flags.idle,
    connectUpstream: () => connectDatagram({ remote: flags.upstream }),
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await relay.shutdown();
    exit(0);
  };
  onSignal('SIGINT', stop);
  onSignal('SIGTERM', stop);
  // Last, so that a watcher counting our sockets sees the signal handling's too (Deno's is a socket pair).
  console.log(`udp-relay listening on ${formatAddress(listener.localAddress)}, upstream ${formatAddress(flags.upstream)}, idle ${flags.idle} ms`);
}
