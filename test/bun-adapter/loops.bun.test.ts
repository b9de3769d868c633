/**
 * Socket shapes that stress the engine (docs/contract.md#starting-a-splice, 4.1): a socket spliced to
 * itself, two sockets spliced into a loop, a stalled drain; plus `wrap()` and
 * which path a splice takes.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { spliceBidirectional, spliceStreams } from '@sosplice/core';
import { bunDirectProvider, wrap, type BunSocket } from '@sosplice/bun-adapter';
import { BunLoopback, type BunSocketListener } from '../harness/bun';
import { expectBytes, pattern, readAtLeast, text, until, withTimeout } from '../harness/_util';
import { rawHandlers } from './_proxy';
import type { RawPeer } from '../harness/bun';

const T = 10_000;

for (const direct of [true, false]) {
  describe(`bun adapter shapes, ${direct ? 'direct' : 'generic'} path`, () => {
    let loop: BunLoopback;
    afterEach(() => loop?.dispose());

    it(`takes the ${direct ? 'direct' : 'stream'} path`, async () => {
      loop = new BunLoopback({ direct });
      const a = await loop.pair();
      const b = await loop.pair();
      const spy = vi.spyOn(bunDirectProvider, 'splice');
      try {
        const s = spliceStreams(a.endpoint.readable, b.endpoint.writable);
        expect(spy.mock.calls.length).toBe(direct ? 1 : 0);
        await s.unsplice();
      } finally {
        spy.mockRestore();
      }
    });

    it('a socket spliced to itself echoes, then half-closes after the peer', async () => {
      loop = new BunLoopback({ direct });
      const { endpoint, peer } = await loop.pair();
      const s = spliceStreams(endpoint.readable, endpoint.writable);
      const input = pattern(1 << 20, 8);
      await peer.write(input);
      await peer.end();
      expect(await withTimeout(s.done, T, 'echo eof')).toEqual({ reason: 'eof', bytes: input.byteLength });
      await withTimeout(peer.ended(), T, 'FIN back at the peer');
      expectBytes(peer.received(), input);
    });

    it('two sockets spliced into a loop keep timers running, and unsplice() stops them', async () => {
      loop = new BunLoopback({ direct });
      const a = await loop.pair();
      const b = await loop.pair();
      // a's readable → b's writable → b's peer echoes back into b's readable → a's writable → a's peer echoes ...
      const echo = (p: RawPeer) => {
        const socket = p.socket as BunSocket<unknown>;
        const original = p.onData.bind(p);
        p.onData = (chunk) => {
          original(chunk);
          p.write(chunk).catch(() => {});
        };
        return socket;
      };
      echo(a.peer);
      echo(b.peer);
      const pair = spliceBidirectional(a.endpoint, b.endpoint);
      await a.peer.write(pattern(64 * 1024, 9));
      let ticks = 0;
      const timer = setInterval(() => ticks++, 1);
      try {
        await withTimeout(until(() => ticks >= 20, T, 'timer ticks while the loop runs'), T, 'ticks');
        expect(pair.aToB.bytes + pair.bToA.bytes).toBeGreaterThan(0);
      } finally {
        clearInterval(timer);
      }
      const [x, y] = await withTimeout(pair.unsplice(), T, 'unsplice the loop');
      expect([x.reason, y.reason]).toEqual(['unsplice', 'unsplice']);
    });

    it('memory stays bounded under a stalled drain (adapter counters)', async () => {
      loop = new BunLoopback({ direct });
      const a = await loop.pair();
      const b = await loop.pair();
      b.peer.stall();
      const s = spliceStreams(a.endpoint.readable, b.endpoint.writable);
      const chunk = pattern(1 << 20, 10);
      let peak = 0;
      let maxRead = 0;
      let maxWrite = 0;
      const sample = () => {
        maxRead = Math.max(maxRead, a.endpoint.readableBuffered);
        maxWrite = Math.max(maxWrite, b.endpoint.writableBuffered);
        peak = Math.max(peak, a.endpoint.readableBuffered + b.endpoint.writableBuffered);
      };
      // The sender writes until the kernel buffers on the way are full too (its write stops resolving).
      let sent = 0;
      for (let i = 0; i < 64; i++) {
        const w = a.peer.write(chunk);
        const ok = await Promise.race([w.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 200))]);
        sample();
        if (!ok) break;
        sent += chunk.byteLength;
      }
      expect(sent).toBeLessThan(64 << 20); // the stall reached the sender
      sample();
      // Bound: the readable's high-water mark plus one chunk on each side; Bun
      // reads up to 512 KiB per `data` call (uSockets LIBUS_RECV_BUFFER_LENGTH).
      expect(peak, `read ${maxRead}, write ${maxWrite}`).toBeLessThanOrEqual(65_536 + 2 * 512 * 1024);
      b.peer.resume();
      await s.unsplice();
    });
  });
}

describe('wrap()', () => {
  it('takes over a socket made with Bun.connect and splices it', async () => {
    type Bun = { listen(o: Record<string, unknown>): BunSocketListener<unknown>; connect(o: Record<string, unknown>): Promise<BunSocket<unknown>> };
    const bun = (globalThis as unknown as { Bun: Bun }).Bun;
    const peers: RawPeer[] = [];
    const server = bun.listen({ hostname: '127.0.0.1', port: 0, allowHalfOpen: true, socket: rawHandlers((p) => peers.push(p)) });
    const mine = await bun.connect({ hostname: '127.0.0.1', port: server.port, allowHalfOpen: true, socket: { data() {}, close() {} } });
    try {
      const endpoint = wrap(mine);
      await until(() => peers.length === 1, T, 'accept');
      const peer = peers[0]!;
      await peer.write(text('hello'));
      expectBytes(await readAtLeast(endpoint.readable, 5, T), text('hello'));
      const s = spliceStreams(endpoint.readable, endpoint.writable);
      await peer.write(text('echo'));
      await peer.end();
      expect(await withTimeout(s.done, T, 'eof')).toEqual({ reason: 'eof', bytes: 4 });
      await withTimeout(peer.ended(), T, 'FIN');
      expectBytes(peer.received(), text('echo'));
    } finally {
      mine.terminate();
      server.stop(true);
    }
  });

  it('refuses a non-socket or a listener with ERR_INVALID_ARG_TYPE, naming the argument and the value', () => {
    // Regression: {} and null threw uncoded TypeErrors, and a listener was adopted as if it were a socket.
    type Bun = { listen(o: Record<string, unknown>): BunSocketListener<unknown> };
    const bun = (globalThis as unknown as { Bun: Bun }).Bun;
    const server = bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
    try {
      const cases: Array<[unknown, string]> = [
        [undefined, 'Received undefined'],
        [null, 'Received null'],
        [42, 'Received type number (42)'],
        [{}, 'Received an object'],
        [server, 'Received an instance of Listener'],
      ];
      for (const [value, received] of cases) {
        const error = (() => {
          try {
            wrap(value as never);
          } catch (e) {
            return e;
          }
        })();
        expect(error).toBeInstanceOf(TypeError);
        expect(error).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
        expect((error as Error).message).toContain('"socket" argument');
        expect((error as Error).message).toContain(received);
      }
      expect(server.data).toBeUndefined();
    } finally {
      server.stop(true);
    }
  });

  it('refuses a closed socket at once with ERR_SOCKET_CLOSED, leaving it as it was', async () => {
    // Regression: opened resolved and reads never settled (a closed socket calls no handler again).
    type Bun = { listen(o: Record<string, unknown>): BunSocketListener<unknown>; connect(o: Record<string, unknown>): Promise<BunSocket<unknown>> };
    const bun = (globalThis as unknown as { Bun: Bun }).Bun;
    const server = bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
    try {
      const mine = await bun.connect({ hostname: '127.0.0.1', port: server.port, data: 'mine', socket: { data() {} } });
      mine.terminate();
      expect(() => wrap(mine)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
      expect(mine.data).toBe('mine');
    } finally {
      server.stop(true);
    }
  });
});
