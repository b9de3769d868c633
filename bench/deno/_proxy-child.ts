/**
 * The proxy under measurement, one process per run: accepts on 127.0.0.1,
 * connects each client to the upstream port, and forwards both directions
 * with one of four engines:
 *
 * - `pipeTo`:  Deno's own `conn.readable.pipeTo(other.writable)`, both ways
 *   (loses a reply after FIN, docs/runtimes.md; fine for a one-way bulk bench);
 * - `loop`:    the hand-written `read()` / `write()` loop of `_hand-proxy.ts`
 *   (one 64 KiB buffer per direction, half-close safe): the reference for the direct path;
 * - `generic`: `spliceBidirectional` over the adapter, Web Streams path;
 * - `direct`:  `spliceBidirectional` over the adapter, direct dispatch path;
 * - `adapterPipeTo`: `pipeTo` between the adapter's streams (isolates the
 *   adapter's stream cost from the core's pump).
 *
 * Usage: deno run -A --config bench/deno/deno.json bench/deno/_proxy-child.ts <engine> <upstreamPort>
 * Prints the listening port on stdout, then serves until killed.
 */
import { spliceBidirectional } from '@sosplice/core';
import { fromDenoConn } from '../../packages/deno-adapter/src/index.js';
import { D, type BenchConn as Conn } from './_deno.js';
import { relay } from './_hand-proxy.js';

async function serve(engine: string, client: Conn, upstreamPort: number): Promise<void> {
  const upstream = await D.connect({ hostname: '127.0.0.1', port: upstreamPort });
  switch (engine) {
    case 'pipeTo':
      await Promise.allSettled([client.readable.pipeTo(upstream.writable), upstream.readable.pipeTo(client.writable)]);
      return;
    case 'loop':
      await relay(client, upstream);
      return;
    case 'adapterPipeTo': {
      const a = fromDenoConn(client, { direct: false });
      const b = fromDenoConn(upstream, { direct: false });
      await Promise.allSettled([a.readable.pipeTo(b.writable), b.readable.pipeTo(a.writable)]);
      return;
    }
    case 'generic':
    case 'direct': {
      const direct = engine === 'direct';
      const readSize = Number(D.env.get('SOSPLICE_READ_SIZE') ?? 65536);
      const pair = spliceBidirectional(fromDenoConn(client, { direct, readSize }), fromDenoConn(upstream, { direct, readSize }));
      await pair.done;
      return;
    }
    default:
      throw new Error(`unknown engine ${engine}`);
  }
}

const [engine = 'direct', port = '0'] = D.args;
const listener = D.listen({ hostname: '127.0.0.1', port: 0 });
console.log(listener.addr.port);
for await (const client of listener) void serve(engine, client, Number(port)).catch(() => {});
