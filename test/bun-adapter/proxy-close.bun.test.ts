/**
 * The `sosplice` proxy's own code (packages/cli/src/proxy.mjs) on the Bun
 * adapter, in process: a graceful stop finishes while a client has stopped
 * reading (close() is bounded by linger), and a connection whose upstream
 * reset is logged with its byte counts (close() never rejects).
 */
import { describe, expect, it } from 'vitest';
import { connect, listen, type BunSocket, type SpliceSocket } from '@sosplice/bun-adapter';
import { RawPeer, type BunSocketListener } from '../harness/bun';
import { setNativeEnabled } from '@sosplice/native';
import { pattern, until, withTimeout } from '../harness/_util';
import { rawHandlers } from './_proxy';

const T = 10_000;

interface CliProxy {
  handle(client: SpliceSocket<BunSocket>, peer: string): Promise<void>;
  shutdown(drainMs?: number): Promise<unknown>;
}
type CreateProxy = (options: { connectTarget: () => Promise<SpliceSocket<BunSocket>>; target: string; log: (line: string) => void }) => CliProxy;
// Through vitest's loader (the workspace aliases apply); the .mjs has no type declarations.
const cliProxy = '../../packages/cli/src/proxy.mjs';
const { createProxy } = (await import(/* @vite-ignore */ cliProxy)) as { createProxy: CreateProxy };

// The JS direct path, where the proxy holds the bytes a stalled client does not read (the kernel path holds them in a pipe).
const jsDirect = <S extends SpliceSocket<BunSocket>>(socket: S): S => (setNativeEnabled(false, socket), socket);

type Bun = { listen(o: Record<string, unknown>): BunSocketListener; connect(o: Record<string, unknown>): Promise<BunSocket> };
const bun = (): Bun => (globalThis as unknown as { Bun: Bun }).Bun;

/** An upstream that runs `onPeer` for each connection, the proxy (linger 300 ms) in front of it, and raw clients. */
async function rig(onPeer: (peer: RawPeer) => void) {
  const upstream = bun().listen({ hostname: '127.0.0.1', port: 0, allowHalfOpen: true, socket: rawHandlers(onPeer) });
  const lines: string[] = [];
  const proxy = createProxy({
    connectTarget: async () => jsDirect(await connect({ hostname: '127.0.0.1', port: upstream.port, linger: 300 })),
    target: `127.0.0.1:${upstream.port}`,
    log: (line) => lines.push(line),
  });
  const listener = await listen({ linger: 300 });
  const accepted: Array<SpliceSocket<BunSocket>> = [];
  void (async () => {
    for await (const client of listener) {
      accepted.push(jsDirect(client));
      void proxy.handle(client, (await client.opened).remoteAddress!);
    }
  })();
  const clients: RawPeer[] = [];
  return {
    lines,
    proxy,
    accepted,
    async client(): Promise<RawPeer> {
      const socket = await bun().connect({ hostname: '127.0.0.1', port: listener.port, allowHalfOpen: true, socket: rawHandlers(() => {}) });
      if (!(socket.data instanceof RawPeer)) socket.data = new RawPeer(socket);
      clients.push(socket.data as RawPeer);
      return socket.data as RawPeer;
    },
    async dispose() {
      await listener.close();
      for (const c of clients) if (!c.isClosed) c.socket.terminate();
      upstream.stop(true);
    },
  };
}

describe('the sosplice proxy on Bun, closing', () => {
  it('a graceful stop finishes while a client has stopped reading', async () => {
    // The upstream sends 16 MiB at once; the client reads none of it.
    const r = await rig((up) => void up.write(pattern(16 << 20, 50)).catch(() => {}));
    try {
      const client = await r.client();
      client.stall();
      await until(() => r.accepted[0] !== undefined && r.accepted[0].writableBuffered > 0, T, 'the proxy holds bytes for the stalled client');
      await withTimeout(r.proxy.shutdown(0), T, 'shutdown with a stalled client');
      expect(r.lines.at(-1)).toMatch(/^totals: 1 connections, 0 failed, 1 unspliced/);
    } finally {
      await r.dispose();
    }
  });

  it("an upstream reset is logged with the connection's byte counts, not as an error of the proxy", async () => {
    const r = await rig((up) => void up.write(pattern(100_000, 51)).then(() => up.socket.terminate()));
    try {
      const client = await r.client();
      await withTimeout(client.aborted(), T, 'the reset reaches the client');
      await until(() => r.lines.some((line) => / up \d+ B/.test(line)), T, 'the connection line');
      const line = r.lines.find((l) => / up \d+ B/.test(l))!;
      expect(line).toMatch(/^\S+ up 0 B \((eof|error: \w+)\), down 100000 B \(error: (ECONNRESET|EPIPE)\), /);
      expect(r.lines.some((l) => /^\S+ error: /.test(l)), r.lines.join('\n')).toBe(false);
    } finally {
      await r.dispose();
    }
  });
});

