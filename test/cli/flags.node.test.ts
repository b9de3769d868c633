// The sosplice command's own flags on every runtime: --json, --totals,
// --drain, --workers, --metrics, --linked, --help and bad input. Each runs
// the command as a child process over real loopback sockets.
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { root, RUNTIMES, runtimeBinary } from '../../examples/_runtimes.mjs';
import { runClient } from '../../examples/tcp-proxy/_harness.mjs';
import { freePort, openClient, proxyFor, run, targetWith, until } from './_cli.ts';

const built = ['core', 'node-adapter', 'bun-adapter', 'deno-adapter'].every((p) => existsSync(`${root}packages/${p}/dist/index.js`));
const json = (lines: string[], event: string) => lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).filter((o) => o.event === event);

/**
 * The proxy with `--metrics` on a port found free: another process may bind
 * it between the check and the proxy's listen (EADDRINUSE), so a new one is
 * tried then. Resolves to the proxy and its metrics port.
 */
async function proxyWithMetrics(runtime: string, args: string[]) {
  for (let attempt = 1; ; attempt++) {
    const metricsPort = await freePort();
    try {
      return { proxy: await proxyFor(runtime, [...args, '--metrics', `127.0.0.1:${metricsPort}`]), metricsPort };
    } catch (error) {
      if (attempt === 3 || !String((error as Error)?.message).includes('EADDRINUSE')) throw error;
    }
  }
}

async function scrape(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const [name, value] = line.split(' ');
    samples.set(name!, Number(value));
  }
  return samples;
}

for (const runtime of RUNTIMES) {
  describe.skipIf(!built || runtimeBinary(runtime) === undefined)(`sosplice flags on ${runtime}`, () => {
    it('--json logs one object per connection, with bytes and reasons each way', async () => {
      const target = await targetWith({ reply: 300 });
      const proxy = await proxyFor(runtime, ['--listen', '127.0.0.1:0', '--target', `127.0.0.1:${target.port}`, '--json']);
      await runClient(proxy.port, 1234);
      await proxy.waitFor(/"event":"connection"/);
      const [conn] = json(proxy.lines, 'connection');
      expect(conn).toMatchObject({ target: `127.0.0.1:${target.port}`, up: { bytes: 1234, reason: 'eof' }, down: { bytes: 300, reason: 'eof' }, pid: proxy.child.pid });
      expect(conn.peer).toMatch(/^127\.0\.0\.1:\d+$/);
      await proxy.stop();
      expect(json(proxy.lines, 'totals').at(-1)).toMatchObject({ connections: 1, failed: 0, up: 1234, down: 300 });
    });

    it('--totals prints the totals while running', async () => {
      const target = await targetWith({ reply: 10 });
      const proxy = await proxyFor(runtime, ['--listen', '127.0.0.1:0', '--target', `127.0.0.1:${target.port}`, '--totals', '1']);
      await runClient(proxy.port, 20);
      expect(await proxy.waitFor(/^totals: 1 connections/)).toMatch(/up 20 B, down 10 B/);
      expect(proxy.child.exitCode).toBe(null);
    });

    it('SIGINT stops accepting and lets a live connection finish within --drain', async () => {
      // The target answers after the client's FIN: the connection ends by itself once the client half-closes.
      const target = await targetWith({ reply: 500, afterEof: true });
      const proxy = await proxyFor(runtime, ['--listen', '127.0.0.1:0', '--target', `127.0.0.1:${target.port}`, '--drain', '10000']);
      const client = await openClient(proxy.port, 700);
      await until(() => target.connections[0]?.socket.bytesRead === 700);
      proxy.child.kill('SIGINT');
      // The proxy is draining (the listener closed) while the connection is still live.
      expect(await proxy.waitFor(/^stopping: /)).toBe('stopping: 1 live connections, draining up to 10000 ms');
      const answer = new Promise<number>((resolve) => {
        let n = 0;
        client.on('data', (d: Buffer) => (n += d.length));
        client.on('end', () => resolve(n));
      });
      client.end();
      expect(await answer).toBe(500);
      expect(await proxy.exited).toEqual({ code: 0, signal: null });
      expect(proxy.lines.some((l) => / up 700 B \(eof\), down 500 B \(eof\)/.test(l))).toBe(true);
      expect(proxy.lines.at(-1)).toMatch(/^totals: 1 connections, 0 failed, 0 unspliced, up 700 B, down 500 B/);
    });

    it('--drain is bounded: a connection still live after it is unspliced', async () => {
      const target = await targetWith({ afterEof: true });
      const proxy = await proxyFor(runtime, ['--listen', '127.0.0.1:0', '--target', `127.0.0.1:${target.port}`, '--drain', '300']);
      await openClient(proxy.port, 10);
      await until(() => target.connections[0]?.socket.bytesRead === 10);
      const started = performance.now();
      expect(await proxy.stop()).toEqual({ code: 0, signal: null });
      expect(performance.now() - started).toBeGreaterThanOrEqual(250);
      expect(proxy.lines).toContain('stopping: 1 live connections, draining up to 300 ms');
      expect(proxy.lines.some((l) => / up 10 B \(unsplice\), down 0 B \(unsplice\)/.test(l))).toBe(true);
    });

    it('--workers 2 spreads connections over two processes on one port', async () => {
      const target = await targetWith({ reply: 1 });
      const port = await freePort();
      const proxy = await proxyFor(runtime, ['--listen', `127.0.0.1:${port}`, '--target', `127.0.0.1:${target.port}`, '--workers', '2', '--json']);
      await until(() => json(proxy.lines, 'listening').length === 2);
      const pids = new Set<number>();
      // The kernel (reusePort) or node:cluster (Node 20) picks the worker; 40 connections reach both.
      for (let i = 0; i < 40; i++) await runClient(port, 1);
      await until(() => json(proxy.lines, 'connection').length === 40);
      for (const conn of json(proxy.lines, 'connection')) pids.add(conn.pid);
      expect(pids.size).toBe(2);
      expect(await proxy.stop()).toEqual({ code: 0, signal: null });
      const totals = json(proxy.lines, 'totals');
      expect(totals.length).toBe(2);
      expect(totals.reduce((n, t) => n + t.connections, 0)).toBe(40);
    });

    it('--metrics serves active splices, bytes by direction, endings by reason and connect failures', async () => {
      const target = await targetWith({ reply: 4000, afterEof: true });
      const { proxy, metricsPort } = await proxyWithMetrics(runtime, ['--listen', '127.0.0.1:0', '--target', `127.0.0.1:${target.port}`]);
      await runClient(proxy.port, 1500);
      await proxy.waitFor(/ up 1500 B/);
      const live = await openClient(proxy.port, 250);
      await until(() => target.connections[1]?.socket.bytesRead === 250);
      const m = await scrape(metricsPort);
      expect(m.get('sosplice_active_splices')).toBe(1);
      expect(m.get('sosplice_connections_total')).toBe(2);
      expect(m.get('sosplice_bytes_total{direction="up"}')).toBe(1750);
      expect(m.get('sosplice_bytes_total{direction="down"}')).toBe(4000);
      expect(m.get('sosplice_splice_endings_total{reason="eof"}')).toBe(2);
      expect(m.get('sosplice_upstream_connect_failures_total')).toBe(0);
      live.destroy();
      // An unreachable target counts as a connect failure.
      const dead = await freePort();
      const { proxy: proxy2, metricsPort: metrics2 } = await proxyWithMetrics(runtime, ['--listen', '127.0.0.1:0', '--target', `127.0.0.1:${dead}`]);
      const refused = await openClient(proxy2.port, 0);
      await once(refused, 'end'); // allowHalfOpen: the proxy's close reads as EOF
      await proxy2.waitFor(/error: cannot reach/);
      expect((await scrape(metrics2)).get('sosplice_upstream_connect_failures_total')).toBe(1);
    });

    it('bad numbers, --workers without a port and stray arguments exit 2 with the usage', async () => {
      const cases = [
        ['--listen', ':1', '--target', ':2', '--linked=yes'],
        ['--listen', ':1', '--target', ':2', '--workers', '0'],
        ['--listen', ':1', '--target', ':2', '--workers', 'two'],
        ['--listen', '127.0.0.1:0', '--target', ':2', '--workers', '2'],
        ['--listen', ':1', '--target', ':2', '--metrics', 'nowhere'],
        ['--listen', ':1', '--target', ':2', '--totals', '1.5'],
        ['--listen', ':1', '--target', ':2', '--drain', '-5'],
        ['--listen', ':1', '--target', ':2', '--json=yes'],
        ['--listen', ':1', '--target', ':2', 'extra'],
      ];
      for (const args of cases) {
        const { code, stderr } = await run(runtime, args);
        expect(code, args.join(' ')).toBe(2);
        expect(stderr, args.join(' ')).toMatch(/^sosplice: [^\n]+(\n[^\n]+)*\n\nusage: sosplice --listen/);
      }
    });

    // Regression (issue 12): with --max alone a download stopped at max left the silent upload open, and the client hung.
    it('--linked ends the whole connection when one direction reaches --max', async () => {
      const target = await targetWith({ reply: 5000 });
      const proxy = await proxyFor(runtime, ['--listen', '127.0.0.1:0', '--target', `127.0.0.1:${target.port}`, '--max', '1000', '--linked', '--json']);
      const client = await openClient(proxy.port, 10); // sends 10 bytes and keeps its side open
      let received = 0;
      client.on('data', (chunk: Buffer) => void (received += chunk.byteLength));
      await once(client, 'end');
      expect(received).toBe(1000);
      await proxy.waitFor(/"event":"connection"/);
      const [conn] = json(proxy.lines, 'connection');
      expect(conn).toMatchObject({ up: { bytes: 10, reason: 'unsplice' }, down: { bytes: 1000, reason: 'max' } });
    });

    it('--help prints the usage and exits 0', async () => {
      const { code, stdout } = await run(runtime, ['--help']);
      expect(code).toBe(0);
      expect(stdout).toMatch(/^usage: sosplice --listen host:port --target host:port/);
    });
  });
}
