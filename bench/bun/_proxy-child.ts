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

const [variant = 'native', upstreamPortText = '0'] = process.argv.slice(2);
const upstreamPort = Number(upstreamPortText);
const host = '127.0.0.1';
let cpuStart: NodeJS.CpuUsage | undefined;
const started = (): void => void (cpuStart ??= process.cpuUsage());

type Sock = {
  data: { peer?: Sock; pending?: Uint8Array[]; paused?: boolean };
  write(d: Uint8Array): number;
  pause(): void;
  resume(): void;
  shutdown(): void;
  end(): void;
};

/** The hand-written Bun proxy: data → write, keep the unwritten tail, pause the source, resume on drain. */
function native(): number {
  const bun = (globalThis as unknown as { Bun: { listen(o: unknown): { port: number }; connect(o: unknown): Promise<Sock> } }).Bun;
  const pipe = {
    data(s: Sock, d: Uint8Array) {
      const peer = s.data.peer!;
      const pending = peer.data.pending;
      if (pending !== undefined && pending.length > 0) {
        pending.push(d);
        return;
      }
      const n = peer.write(d);
      if (n < d.byteLength) {
        peer.data.pending = [d.subarray(Math.max(n, 0))];
        s.pause();
      }
    },
    drain(s: Sock) {
      const pending = s.data.pending;
      while (pending !== undefined && pending.length > 0) {
        const head = pending[0]!;
        const n = s.write(head);
        if (n < head.byteLength) {
          pending[0] = head.subarray(Math.max(n, 0));
          return;
        }
        pending.shift();
      }
      s.data.peer?.resume();
    },
    end(s: Sock) {
      s.data.peer?.shutdown();
    },
    close(s: Sock) {
      s.data.peer?.end();
    },
    error() {},
  };
  const server = bun.listen({
    hostname: host,
    port: 0,
    allowHalfOpen: true,
    socket: {
      ...pipe,
      open(down: Sock) {
        started();
        down.data = {};
        down.pause();
        void bun.connect({ hostname: host, port: upstreamPort, allowHalfOpen: true, data: { peer: down }, socket: pipe }).then((up) => {
          down.data.peer = up;
          down.resume();
        });
      },
    },
  });
  return server.port;
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
async function adapter(direct: boolean): Promise<number> {
  const listener = await listen({ hostname: host, port: 0, direct });
  void (async () => {
    for await (const down of listener) {
      started();
      void connect({ hostname: host, port: upstreamPort, direct }).then((up) => spliceBidirectional(down, up));
    }
  })();
  return listener.port!;
}

const port =
  variant === 'native' ? native() : variant === 'node-pipe' ? await nodePipe() : variant === 'toweb' ? await toWeb() : await adapter(variant === 'direct');
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.stdin.once('data', () => {
  const cpu = process.cpuUsage(cpuStart);
  // VmHWM, not getrusage's maxRSS: Linux carries ru_maxrss across exec, so a
  // child spawned by a big parent would report the parent's peak.
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  const rss = hwm ? Number(hwm[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
  process.stdout.write(`${JSON.stringify({ cpu: (cpu.user + cpu.system) / 1e6, rss })}\n`, () => process.exit(0));
});
