/**
 * One proxy process of the benchmark: `bun _proxy-child.ts <variant> <upstreamPort>`.
 * Prints `{"port":N}` once listening; after it reads a line on stdin, prints
 * `{"cpu":seconds,"rss":bytes}` (CPU since the first connection) and exits.
 * Each variant is the same proxy (listen, dial upstream, copy both ways) written another way.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { spliceBidirectional } from '@sosplice/core';
import { connect, listen } from '@sosplice/bun-adapter';
import { handProxy } from './_hand-proxy.js';

const [variant = 'native', upstreamPortText = '0'] = process.argv.slice(2);
const upstreamPort = Number(upstreamPortText);
const host = '127.0.0.1';
let cpuStart: NodeJS.CpuUsage | undefined;
const started = (): void => void (cpuStart ??= process.cpuUsage());

/** The hand-written Bun proxy (`_hand-proxy.ts`). */
function native(): number {
  return handProxy({ hostname: host, port: 0, target: { hostname: host, port: upstreamPort } }, { onOpen: started });
}

/** node:net under Bun: `a.pipe(b)` both ways. */
function nodePipe(): Promise<number> {
  const server = net.createServer({ allowHalfOpen: true }, (down) => {
    started();
    const up = net.connect({ host, port: upstreamPort, allowHalfOpen: true });
    down.pipe(up).on('error', () => {});
    up.pipe(down).on('error', () => {});
  });
  return new Promise((resolve) => server.listen(0, host, () => resolve((server.address() as net.AddressInfo).port)));
}

/** node:net through `Duplex.toWeb` and two `pipeTo`s. */
function toWeb(): Promise<number> {
  const server = net.createServer({ allowHalfOpen: true }, (down) => {
    started();
    const up = net.connect({ host, port: upstreamPort, allowHalfOpen: true });
    up.once('connect', () => {
      const a = Duplex.toWeb(down);
      const b = Duplex.toWeb(up);
      a.readable.pipeTo(b.writable as WritableStream).catch(() => {});
      b.readable.pipeTo(a.writable as WritableStream).catch(() => {});
    });
  });
  return new Promise((resolve) => server.listen(0, host, () => resolve((server.address() as net.AddressInfo).port)));
}

/** The adapter: listen + connect + spliceBidirectional, on its generic or direct path. */
function adapter(direct: boolean): number {
  const server = listen({ hostname: host, port: 0, direct }, (down) => {
    started();
    void connect({ hostname: host, port: upstreamPort, direct }).then((up) => spliceBidirectional(down, up));
  });
  return server.port;
}

const port =
  variant === 'native' ? native() : variant === 'node-pipe' ? await nodePipe() : variant === 'toweb' ? await toWeb() : adapter(variant === 'direct');
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.stdin.once('data', () => {
  const cpu = process.cpuUsage(cpuStart);
  // VmHWM, not getrusage's maxRSS: Linux carries ru_maxrss across exec, so a
  // child spawned by a big parent would report the parent's peak.
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  const rss = hwm ? Number(hwm[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
  process.stdout.write(`${JSON.stringify({ cpu: (cpu.user + cpu.system) / 1e6, rss })}\n`, () => process.exit(0));
});
