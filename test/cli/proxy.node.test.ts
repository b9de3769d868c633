// The sosplice command as a user runs it: a child process under each
// runtime, real loopback sockets, its log lines and exit codes checked.
// Needs `pnpm build` (the command imports the built packages).
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { root, RUNTIMES, runtimeBinary } from '../../examples/_runtimes.mjs';
import { drain, parseConnLine, pump, runClient } from '../../examples/tcp-proxy/_harness.mjs';
import { freePort, later, proxyFor, run, targetWith } from './_cli.ts';

const MiB = 1024 * 1024;
const built = ['core', 'node-adapter', 'bun-adapter', 'deno-adapter'].every((p) => existsSync(`${root}packages/${p}/dist/index.js`));
const cert = readFileSync(`${root}test/fixtures/tls-cert.pem`, 'utf8');

it('the packages are built (the command imports dist/)', () => {
  expect(built, 'run `pnpm build` first').toBe(true);
});

for (const runtime of RUNTIMES) {
  describe.skipIf(!built || runtimeBinary(runtime) === undefined)(`sosplice on ${runtime}`, () => {
    it('forwards both directions byte-exact, and the answer sent after the client FIN still arrives', async () => {
      const target = await targetWith({ reply: 3 * MiB + 7, afterEof: true });
      const proxy = await proxyFor(runtime, ['--listen', '127.0.0.1:0', '--target', `127.0.0.1:${target.port}`]);
      const client = await runClient(proxy.port, 8 * MiB + 1);
      await target.connections[0]!.done;
      const server = target.connections[0]!;
      expect(server.received).toEqual(client.sent);
      expect(client.received).toEqual(server.sent);
      expect(client.received.bytes).toBe(3 * MiB + 7);
      const line = parseConnLine(await proxy.waitFor(/ up \d+ B/));
      expect(line).toMatchObject({ up: 8 * MiB + 1, upReason: 'eof', down: 3 * MiB + 7, downReason: 'eof' });
    });

    it('on SIGINT unsplices live connections, prints the totals and exits 0', async () => {
      // A target that waits for the client's FIN: both directions stay live.
      const target = await targetWith({ afterEof: true });
      const proxy = await proxyFor(runtime, ['--listen', '127.0.0.1:0', '--target', `127.0.0.1:${target.port}`, '--drain', '0']);
      // Two clients that sent something and stay open.
      const clients = await Promise.all(
        [1000, 2345].map(async (n) => {
          const socket = net.connect({ port: proxy.port, host: '127.0.0.1', allowHalfOpen: true });
          socket.on('error', () => {});
          await once(socket, 'connect');
          socket.write(Buffer.alloc(n, 1));
          return socket;
        }),
      );
      later(async () => clients.forEach((s) => s.destroy()));
      // Both byte counts reached the target: both splices are live.
      await new Promise<void>((resolve) => {
        const check = () => target.connections.length === 2 && target.connections.every((c) => c.socket.bytesRead > 0) && resolve();
        const timer = setInterval(check, 5);
        later(async () => clearInterval(timer));
      });
      // allowHalfOpen clients see the proxy's close as their readable's end.
      const closedByProxy = clients.map((s) => once(s, 'end'));
      const status = await proxy.stop();
      expect(status).toEqual({ code: 0, signal: null });
      await Promise.all(closedByProxy);
      const conns = proxy.lines.map(parseConnLine).filter(Boolean);
      expect(conns.map((c) => c!.up).sort((a, b) => a - b)).toEqual([1000, 2345]);
      expect(conns.every((c) => c!.upReason === 'unsplice' && c!.downReason === 'unsplice')).toBe(true);
      expect(proxy.lines.at(-1)).toMatch(/^totals: 2 connections, 0 failed, 2 unspliced, up 3345 B, down 0 B, cpu [\d.]+ s$/);
    });

    it('rejects bad flags with the usage and exit code 2', async () => {
      for (const args of [['--listen', '127.0.0.1:0'], ['--listen', 'nowhere', '--target', '127.0.0.1:1'], ['--bogus'], ['--listen', ':1', '--target', ':2', '--max', '-1']]) {
        const { code, stderr } = await run(runtime, args);
        expect(code, args.join(' ')).toBe(2);
        expect(stderr).toMatch(/^sosplice: [^\n]+(\n[^\n]+)*\n\nusage: sosplice --listen host:port --target host:port/);
      }
    });

    it('closes a client whose target is unreachable, logs it, and keeps serving', async () => {
      const port = await freePort();
      const proxy = await proxyFor(runtime, ['--listen', '127.0.0.1:0', '--target', `127.0.0.1:${port}`]);
      const refused = net.connect({ port: proxy.port, host: '127.0.0.1' });
      refused.on('error', () => {});
      await once(refused, 'close');
      expect(await proxy.waitFor(/error: cannot reach/)).toMatch(new RegExp(`^127\\.0\\.0\\.1:\\d+ error: cannot reach 127\\.0\\.0\\.1:${port}: `));
      // The same proxy serves the next client once the target is up.
      const target = await targetWith({ port, reply: 10 });
      const client = await runClient(proxy.port, 20);
      expect(client.received).toEqual((await target.connections[0]!.done, target.connections[0]!.sent));
    });

    it('with --max forwards exactly max bytes each way, then closes', async () => {
      const target = await targetWith({ reply: 5000 });
      const proxy = await proxyFor(runtime, ['--listen', '127.0.0.1:0', '--target', `127.0.0.1:${target.port}`, '--max', '1000']);
      const socket = net.connect({ port: proxy.port, host: '127.0.0.1', allowHalfOpen: true });
      socket.on('error', () => {});
      const received = drain(socket);
      await once(socket, 'connect');
      await pump(socket, 4000);
      const line = parseConnLine(await proxy.waitFor(/ up \d+ B/));
      expect(line).toMatchObject({ up: 1000, upReason: 'max', down: 1000, downReason: 'max' });
      expect((await received).bytes).toBe(1000);
      await target.connections[0]!.closed;
      expect(target.connections[0]!.socket.bytesRead).toBe(1000);
    });

    it('with --idle ends a silent connection with reason idle', async () => {
      // Nobody sends or half-closes: the target waits for a FIN that never comes.
      const target = await targetWith({ afterEof: true });
      const proxy = await proxyFor(runtime, ['--listen', '127.0.0.1:0', '--target', `127.0.0.1:${target.port}`, '--idle', '150']);
      const socket = net.connect({ port: proxy.port, host: '127.0.0.1', allowHalfOpen: true });
      socket.on('error', () => {});
      await once(socket, 'end');
      socket.destroy();
      const line = parseConnLine(await proxy.waitFor(/ up \d+ B/));
      expect(line).toMatchObject({ up: 0, upReason: 'idle', down: 0, downReason: 'idle' });
      expect(line!.seconds).toBeGreaterThanOrEqual(0.14);
    });

    it('terminates TLS with --tls-cert/--tls-key and forwards plain TCP', async () => {
      const target = await targetWith({ reply: 64 * 1024, afterEof: true });
      const proxy = await proxyFor(runtime, [
        '--listen', '127.0.0.1:0', '--target', `127.0.0.1:${target.port}`,
        '--tls-cert', `${root}test/fixtures/tls-cert.pem`, '--tls-key', `${root}test/fixtures/tls-key.pem`,
      ]);
      const socket = tls.connect({ port: proxy.port, host: '127.0.0.1', servername: 'localhost', ca: cert });
      later(async () => socket.destroy());
      const received = drain(socket);
      await once(socket, 'secureConnect');
      const sent = await pump(socket, 256 * 1024);
      socket.end();
      const answer = await received;
      await target.connections[0]!.done;
      expect(target.connections[0]!.received).toEqual({ bytes: 256 * 1024, sha256: sent });
      expect(answer).toEqual(target.connections[0]!.sent);
    });
  });
}
