/**
 * One benchmark run: starts an upstream sink and the proxy child, pushes
 * `bytes` through it from a client, and reads the child's CPU and peak RSS
 * from /proc. The load side (client writer, upstream reader) runs in this
 * process with plain read()/write() loops, so it costs the proxy nothing.
 */
import { D } from './_deno.js';

/** Figures of one run. */
export interface RunFigures {
  cpuPerGiB: number;
  /** The user part of `cpuPerGiB`. */
  userPerGiB: number;
  gbitPerS: number;
  peakRssMiB: number;
}

const root = new URL('../../', import.meta.url).pathname;
const TICKS = 100; // USER_HZ on Linux

/** User and user + system CPU seconds of `pid` so far. */
function cpuSeconds(pid: number): { user: number; total: number } {
  const stat = D.readTextFileSync(`/proc/${pid}/stat`);
  // Fields after the command name (which may contain spaces) start after ')'.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const user = Number(f[11]) / TICKS; // utime (field 14)
  return { user, total: user + Number(f[12]) / TICKS }; // + stime (field 15)
}

function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(D.readTextFileSync(`/proc/${pid}/status`));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const deadline = Date.now() + 30_000;
  while (!text.includes('\n')) {
    if (Date.now() > deadline) throw new Error('proxy child did not print its port');
    const { value, done } = await reader.read();
    if (done) throw new Error('proxy child exited before printing its port');
    text += decoder.decode(value, { stream: true });
  }
  reader.releaseLock();
  return text.trim();
}

/** Pushes `bytes` through a fresh proxy child running `engine`. */
export async function measureRun(engine: string, bytes: number): Promise<RunFigures> {
  const upstream = D.listen({ hostname: '127.0.0.1', port: 0 });
  const child = new D.Command(D.execPath(), {
    args: ['run', '-A', '--config', `${root}bench/deno/deno.json`, `${root}bench/deno/_proxy-child.ts`, engine, String(upstream.addr.port)],
    stdout: 'piped',
    stderr: 'inherit',
    env: { ...D.env.toObject(), DENO_NO_UPDATE_CHECK: '1' },
  }).spawn();
  try {
    const port = Number(await firstLine(child.stdout));
    const client = await D.connect({ hostname: '127.0.0.1', port });
    const server = await upstream.accept();
    // Warm-up handshake: one byte each way through the proxy, so connect costs are out.
    await client.write(new Uint8Array(1));
    await server.read(new Uint8Array(1));
    const cpu0 = cpuSeconds(child.pid);
    const t0 = performance.now();
    const sink = (async () => {
      const buf = new Uint8Array(1 << 20);
      let got = 0;
      for (;;) {
        const n = await server.read(buf);
        if (n === null) return got;
        got += n;
      }
    })();
    const chunk = new Uint8Array(1 << 20);
    for (let sent = 0; sent < bytes; ) {
      const n = await client.write(chunk.subarray(0, Math.min(chunk.byteLength, bytes - sent)));
      sent += n;
    }
    await client.closeWrite();
    const got = await sink;
    const seconds = (performance.now() - t0) / 1000;
    const cpu1 = cpuSeconds(child.pid);
    const rss = peakRssMiB(child.pid);
    if (got !== bytes) throw new Error(`${engine}: upstream got ${got} of ${bytes} bytes`);
    client.close();
    server.close();
    const gib = bytes / 2 ** 30;
    return { cpuPerGiB: (cpu1.total - cpu0.total) / gib, userPerGiB: (cpu1.user - cpu0.user) / gib, gbitPerS: (bytes * 8) / seconds / 1e9, peakRssMiB: rss };
  } finally {
    child.kill('SIGTERM');
    await child.status;
    upstream.close();
  }
}
