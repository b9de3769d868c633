// The gateway as a program, runtime-neutral: each entry (node.mjs, bun.mjs,
// deno.mjs) passes its adapter's listen() and connect(). One log line per
// client connection (--verbose: one per request too).
import { parseArgs } from 'node:util';
import { serveConnection } from './gateway.mjs';

const USAGE = 'usage: http-gateway --listen host:port --target host:port [--upstream-timeout ms] [--client-timeout ms] [--verbose]';
const ADDRESS = /^\[?([^\]]*?)\]?:(\d+)$/;

/** A positive number of ms. */
function parseMs(name, text) {
  const ms = Number(text);
  if (!Number.isInteger(ms) || ms <= 0) throw new RangeError(`--${name} must be a positive number of ms, got ${JSON.stringify(text)}`);
  return ms;
}

/** `host:port` (brackets for IPv6) → { hostname, port }. */
function parseAddress(name, text) {
  const match = ADDRESS.exec(text ?? '');
  if (match === null) throw new TypeError(`--${name} must be host:port, got ${JSON.stringify(text ?? '')}`);
  return { hostname: match[1] || '0.0.0.0', port: Number(match[2]) };
}

export async function main({ args, listen, connect, onSignal, exit }) {
  let flags;
  try {
    const options = {
      listen: { type: 'string' },
      target: { type: 'string' },
      'upstream-timeout': { type: 'string', default: '60000' },
      'client-timeout': { type: 'string', default: '60000' },
      verbose: { type: 'boolean', default: false },
    };
    const { values } = parseArgs({ args, options });
    flags = {
      listen: parseAddress('listen', values.listen),
      target: parseAddress('target', values.target),
      upstreamTimeout: parseMs('upstream-timeout', values['upstream-timeout']),
      clientTimeout: parseMs('client-timeout', values['client-timeout']),
      verbose: values.verbose,
    };
  } catch (error) {
    console.error(`http-gateway: ${error.message}\n${USAGE}`);
    return exit(2);
  }
  let listener;
  try {
    // The adapters' listen() and connect() set noDelay: a head and a long body
    // go out in separate writes, and without it each keep-alive exchange waits
    // ~40 ms on Nagle against a delayed ACK (docs/runtimes.md).
    listener = await listen(flags.listen);
  } catch (error) {
    console.error(`http-gateway: ${error.message}`);
    return exit(1);
  }
  /** Every socket still open, client or upstream: closed on a signal. */
  const open = new Set();
  const openUpstream = async () => {
    const upstream = await connect(flags.target);
    open.add(upstream);
    return upstream;
  };

  async function serve(client) {
    open.add(client);
    const started = performance.now();
    let peer = '?';
    /** The latest upstream connection: serveConnection closes those it replaces. */
    let upstream;
    try {
      peer = (await client.opened).remoteAddress;
      const nextUpstream = async () => {
        open.delete(upstream);
        return (upstream = await openUpstream());
      };
      const onRequest = flags.verbose ? (r) => console.log(`${peer} ${r.method} ${r.target} → ${r.status}, body ${r.up} B up, ${r.down} B down`) : undefined;
      const result = await serveConnection(client, nextUpstream, { onRequest, upstreamTimeout: flags.upstreamTimeout, clientTimeout: flags.clientTimeout });
      const refused = result.status !== undefined ? `, answered ${result.status}` : result.timedOut ? ', closed after --client-timeout' : '';
      console.log(`${peer} ${result.requests} requests on one connection, ${result.forwarded} body bytes forwarded${refused}, ${((performance.now() - started) / 1000).toFixed(3)} s`);
    } catch (error) {
      console.log(`${peer} error: ${error?.message ?? error}`);
    } finally {
      for (const endpoint of [client, upstream]) {
        if (endpoint === undefined) continue;
        open.delete(endpoint);
        await endpoint.close();
      }
    }
  }

  void (async () => {
    // Never awaits a client: one slow upstream must not hold up the next accept.
    for await (const client of listener) void serve(client);
  })();
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await listener.close();
    await Promise.all([...open].map((socket) => socket.close()));
    exit(0);
  };
  onSignal('SIGINT', stop);
  onSignal('SIGTERM', stop);
  const target = flags.target.hostname.includes(':') ? `[${flags.target.hostname}]:${flags.target.port}` : `${flags.target.hostname}:${flags.target.port}`;
  console.log(`listening on ${listener.address}, forwarding to ${target}`);
}
