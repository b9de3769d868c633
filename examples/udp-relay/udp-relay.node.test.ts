// The udp-relay example as a user runs it: the relay as a child process under
// each runtime, real loopback UDP, its per-client lines checked. The load
// here is 10,000 datagrams from 100 clients (CI time); load.mjs runs the
// full 100,000. Needs `pnpm build` (the example imports the built packages).
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { root, RUNTIMES, runtimeBinary } from '../_runtimes.mjs';
import { parseClientLine, runClients, startEcho, startRelay } from './_load.mjs';

const built = ['core', 'node-adapter', 'bun-adapter', 'deno-adapter'].every((p) => existsSync(`${root}packages/${p}/dist/index.js`));
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((fn) => fn()));
});

async function setup(runtime: string, idle: number) {
  const echo = await startEcho();
  cleanup.push(() => echo.close());
  const relay = await startRelay(runtime, echo.port, idle);
  cleanup.push(() => relay.stop());
  return { echo, relay };
}

const clientLines = (lines: string[]) => lines.map(parseClientLine).filter((x) => x !== null);

for (const runtime of RUNTIMES) {
  describe.skipIf(!built || runtimeBinary(runtime) === undefined)(`udp-relay on ${runtime}`, () => {
    it('relays each client both ways with boundaries kept (0 B included), and forgets it when idle with a line of counts', async () => {
      const { relay } = await setup(runtime, 300);
      const socket = dgram.createSocket('udp4');
      socket.bind(0, '127.0.0.1');
      await once(socket, 'listening');
      cleanup.push(() => new Promise((r) => socket.close(() => r(undefined))));
      const echoes: number[] = [];
      socket.on('message', (m) => echoes.push(m.byteLength));
      for (const size of [0, 1, 251]) socket.send(Buffer.alloc(size), relay.port, '127.0.0.1');
      const lines = await relay.until((l) => clientLines(l).length === 1, 15_000, 'the client line');
      expect(echoes).toEqual([0, 1, 251]);
      const line = clientLines(lines)[0]!;
      expect(line).toMatchObject({ client: `127.0.0.1:${socket.address().port}`, up: 3, upBytes: 252, down: 3, downBytes: 252, dropped: 0, upReason: 'idle', downReason: 'idle' });
      expect(await relay.stop()).toBe(0);
      expect(relay.lines.at(-1)).toMatch(/^relay: clients 1, up 3 datagrams, down 3 datagrams, dropped 0, failed 0$/);
    });

    it('load: 10,000 datagrams from 100 clients, every one accounted for, no socket left after idle', async () => {
      // idle long enough that a relay starved by a loaded machine does not end a
      // client's pair mid-flow: an echo arriving after its pair ended is lost on
      // the way back (UDP to a closed socket), which is not the relay's loss.
      const { echo, relay } = await setup(runtime, 2_000);
      const before = relay.sockets();
      // Two in flight per client: 200 at once stay within the kernel's receive buffer, so none is lost uncounted.
      const { sent, echoed } = await runClients({ relayPort: relay.port, clients: 100, perClient: 100, window: 2 });
      const total = (l: string[]) => clientLines(l).reduce((s, r) => s + r!.up + r!.dropped, 0);
      const lines = await relay.until((l) => total(l) >= sent, 30_000, `client lines accounting for ${sent} datagrams`);
      const rows = clientLines(lines);
      const up = rows.reduce((s, r) => s + r!.up, 0);
      const dropped = rows.reduce((s, r) => s + r!.dropped, 0);
      const down = rows.reduce((s, r) => s + r!.down, 0);
      expect(sent).toBe(10_000);
      expect(rows.length).toBeGreaterThanOrEqual(100);
      // Every datagram that reached the relay was forwarded or counted as dropped.
      expect(up + dropped).toBe(sent);
      expect(echo.received).toBe(up);
      expect(down).toBe(echo.received);
      expect(echoed).toBe(down);
      // Closing is asynchronous in some runtimes: give it a bounded moment.
      for (let i = 0; i < 100 && relay.sockets() !== before; i++) await new Promise((r) => setTimeout(r, 50));
      expect(relay.sockets()).toBe(before);
    }, 120_000);
  });
}
