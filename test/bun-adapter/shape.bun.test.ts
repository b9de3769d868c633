/**
 * The one public shape (docs/adapters.md#one-shape) on Bun, over real
 * loopback sockets: the exports, `connect()` / `listen()` with every address
 * form, WinterTC `SocketInfo` strings, `wrap()` and its refusals, bad input
 * refused before any socket opens, and lazy parts that behave as eager ones.
 */
import { describe, expect, it } from 'vitest';
import * as adapter from '@sosplice/bun-adapter';
import { connect, listen, SocketClosedError, wrap, type BunSocket, type SpliceSocket } from '@sosplice/bun-adapter';
import { SocketClosedError as CoreSocketClosedError } from '@sosplice/core/socket';
import { bunTls, BunLoopback, RawPeer, type BunSocketListener } from '../harness/bun';
import { expectBytes, readAtLeast, readToEnd, text, until, withTimeout, writeOnce } from '../harness/_util';
import { rawHandlers } from './_proxy';

const T = 10_000;
type Bun = { listen(o: Record<string, unknown>): BunSocketListener; connect(o: Record<string, unknown>): Promise<BunSocket> };
const bun = (): Bun => (globalThis as unknown as { Bun: Bun }).Bun;
/** Cleanup: close() would wait for peers that never finish (docs/adapters.md#closing). */
const destroy = (...sockets: Array<SpliceSocket<BunSocket>>): void => sockets.forEach((s) => s.socket.terminate());
const failure = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (error: unknown) => error);

/** A raw server whose accepted sockets become RawPeers. */
function rawServer(options: Record<string, unknown> = { hostname: '127.0.0.1', port: 0 }) {
  const peers: RawPeer[] = [];
  const server = bun().listen({ ...options, allowHalfOpen: true, socket: rawHandlers((p) => peers.push(p)) });
  return { server, peers, next: async () => (await until(() => peers.length > 0, T, 'accept'), peers.shift()!) };
}

describe('bun adapter exports', () => {
  it('the same names as every adapter; the old ones are gone', () => {
    for (const name of ['wrap', 'connect', 'listen', 'SocketClosedError', 'bunDirectProvider', 'bindDatagram', 'connectDatagram']) expect(adapter).toHaveProperty(name);
    for (const name of ['adopt', 'fromNodeSocket', 'fromDenoConn']) expect(adapter).not.toHaveProperty(name);
    expect(SocketClosedError).toBe(CoreSocketClosedError);
  });
});

describe('bun connect()', () => {
  it('"host:port", { hostname, port } and { path } connect; opened gives "host:port" strings or the path', async () => {
    const tcp = rawServer();
    const path = `/tmp/sosplice-bun-shape-${process.pid}.sock`;
    const unix = rawServer({ unix: path });
    try {
      const a = await connect(`127.0.0.1:${tcp.server.port}`);
      const b = await connect({ hostname: '127.0.0.1', port: tcp.server.port });
      const c = await connect({ path });
      for (const socket of [a, b]) {
        const info = await socket.opened;
        expect(info.remoteAddress).toBe(`127.0.0.1:${tcp.server.port}`);
        expect(info.localAddress).toMatch(/^127\.0\.0\.1:\d+$/);
      }
      expect(await c.opened).toEqual({ remoteAddress: path, localAddress: null });
      const peer = await unix.next();
      await peer.write(text('over unix'));
      expectBytes(await readAtLeast(c.readable, 9, T), text('over unix'));
      destroy(a, b, c);
    } finally {
      tcp.server.stop(true);
      unix.server.stop(true);
    }
  });

  it('IPv6: "[::1]:port" in and out', async () => {
    const listener = await listen('[::1]:0');
    try {
      expect(listener.address).toBe(`[::1]:${listener.port}`);
      const client = await connect(listener.address);
      expect((await client.opened).remoteAddress).toBe(listener.address);
      destroy(client);
    } finally {
      await listener.close();
    }
  });

  it('tls: resolves once the handshake is done; a refused certificate rejects and leaves nothing open', async () => {
    const tls = rawServer({ hostname: '127.0.0.1', port: 0, tls: bunTls() });
    try {
      const socket = await connect({ hostname: '127.0.0.1', port: tls.server.port, tls: { rejectUnauthorized: false } });
      const peer = await tls.next();
      await writeOnce(socket.writable, text('secret'));
      await withTimeout(peer.receivedAtLeast(6), T, 'decrypted at the peer');
      destroy(socket);
      // tls: true checks the (self-signed) certificate: the handshake fails.
      const error = await failure(connect({ hostname: '127.0.0.1', port: tls.server.port, tls: true }));
      expect(error).toBeInstanceOf(Error);
    } finally {
      tls.server.stop(true);
    }
  });

  it("a refused connection rejects with Bun's error and its code", async () => {
    const l = await listen({});
    const port = l.port!;
    await l.close();
    expect(await failure(connect({ hostname: '127.0.0.1', port }))).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('bad input is refused, coded and named, before any socket is opened', async () => {
    const cases: Array<[unknown, string, string]> = [
      ['nonsense', 'ERR_INVALID_ARG_TYPE', '"address"'],
      ['127.0.0.1:99999', 'ERR_OUT_OF_RANGE', '"address"'],
      [{ hostname: '127.0.0.1' }, 'ERR_INVALID_ARG_TYPE', '"address.port"'],
      [{ hostname: '127.0.0.1', port: 1, highWaterMark: 0 }, 'ERR_OUT_OF_RANGE', '"address.highWaterMark"'],
      [{ hostname: '127.0.0.1', port: 1, linger: -1 }, 'ERR_OUT_OF_RANGE', '"address.linger"'],
      [{ hostname: '127.0.0.1', port: 1, direct: 'yes' }, 'ERR_INVALID_ARG_TYPE', '"address.direct"'],
      [{ hostname: '127.0.0.1', port: 1, tls: 'on' }, 'ERR_INVALID_ARG_TYPE', '"address.tls"'],
      [{ path: '/tmp/x', port: 1 }, 'ERR_INVALID_ARG_TYPE', '"address.path"'],
    ];
    for (const [address, code, name] of cases) {
      const error = (await failure(connect(address as never))) as Error;
      expect(error, JSON.stringify(address)).toMatchObject({ code });
      expect(error.message).toContain(name);
    }
    expect(await failure(listen({ reusePort: 1 } as never))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });
});

describe('bun listen()', () => {
  it('defaults to 127.0.0.1 and a free port; accepted sockets come out in order; close() stops accepting and ends the iteration', async () => {
    const listener = await listen({});
    expect(listener.address).toBe(`127.0.0.1:${listener.port}`);
    const clients = await Promise.all([1, 2, 3].map(() => bun().connect({ hostname: '127.0.0.1', port: listener.port, socket: { data() {} } })));
    const accepted: Array<SpliceSocket<BunSocket>> = [];
    for await (const socket of listener) {
      accepted.push(socket);
      if (accepted.length === 3) break;
    }
    const infos = await Promise.all(accepted.map((s) => s.opened));
    expect(new Set(infos.map((i) => i.remoteAddress))).toEqual(new Set(clients.map((c) => `127.0.0.1:${c.localPort}`)));
    for (const info of infos) expect(info.localAddress).toBe(listener.address);
    await listener.close();
    await listener.close(); // twice: still resolves
    expect(await failure(connect(listener.address))).toMatchObject({ code: 'ECONNREFUSED' });
    const after = await listener[Symbol.asyncIterator]().next();
    expect(after.done).toBe(true);
    // Sockets accepted already stay open.
    await writeOnce(accepted[0]!.writable, text('still open'));
    for (const c of clients) c.terminate();
    destroy(...accepted);
  });

  it('a Unix path: address is the path, port null; TLS: sockets are handed out after the handshake', async () => {
    const path = `/tmp/sosplice-bun-listen-${process.pid}.sock`;
    const unix = await listen({ path });
    expect([unix.address, unix.port]).toEqual([path, null]);
    const tls = await listen({ tls: bunTls() });
    try {
    const plainClient = await connect({ path });
    const [served] = await takeOne(unix);
    expect(await served.opened).toEqual({ localAddress: path, remoteAddress: null });
    const tlsClient = await connect({ hostname: '127.0.0.1', port: tls.port!, tls: { rejectUnauthorized: false } });
    const [secure] = await takeOne(tls);
    await writeOnce(secure.writable, text('hello over tls'));
    expectBytes(await readAtLeast(tlsClient.readable, 14, T), text('hello over tls'));
    destroy(plainClient, served, tlsClient, secure);
    } finally {
      await unix[Symbol.asyncDispose]();
      await tls[Symbol.asyncDispose]();
    }
  });
});

async function takeOne<S>(listener: AsyncIterable<S>): Promise<[S]> {
  for await (const socket of listener) return [socket];
  throw new Error('the listener ended');
}

describe('bun wrap()', () => {
  it('refuses a socket wrapped already (ERR_SOCKET_WRAPPED): the first wrapper still reads every byte', async () => {
    const raw = rawServer();
    try {
      const mine = await bun().connect({ hostname: '127.0.0.1', port: raw.server.port, allowHalfOpen: true, socket: { data() {} } });
      const first = wrap(mine);
      const error = (() => {
        try {
          wrap(mine);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(TypeError);
      expect(error).toMatchObject({ code: 'ERR_SOCKET_WRAPPED' });
      expect((error as Error).message).toContain('"socket"');
      const peer = await raw.next();
      await peer.write(text('0123456789'));
      await peer.end();
      expectBytes(await readToEnd(first.readable, T), text('0123456789'));
      // The sockets connect() and listen() hand out are wrapped already too.
      const other = await connect(`127.0.0.1:${raw.server.port}`);
      expect(() => wrap(other.socket)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_WRAPPED' }));
      await first.close(); // both sides finished: resolves at once
      destroy(other);
    } finally {
      raw.server.stop(true);
    }
  });

  it('refuses a closed socket with SocketClosedError, and bad options before touching the socket', async () => {
    const raw = rawServer();
    try {
      const mine = await bun().connect({ hostname: '127.0.0.1', port: raw.server.port, data: 'mine', socket: { data() {} } });
      expect(() => wrap(mine, { highWaterMark: -1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
      expect(mine.data).toBe('mine');
      mine.terminate();
      expect(() => wrap(mine)).toThrow(SocketClosedError);
      expect(mine.data).toBe('mine');
    } finally {
      raw.server.stop(true);
    }
  });
});

describe('bun sockets built lazily', () => {
  it('streams, opened and closed made after the fact behave as made at once', async () => {
    const loop = new BunLoopback({ direct: true });
    try {
      // Data and FIN arrive before anyone touched the readable.
      const a = await loop.pair();
      await a.peer.write(text('early'));
      await a.peer.end();
      await until(() => a.endpoint.readableBuffered === 5, T, 'buffered');
      expectBytes(await readToEnd(a.endpoint.readable, T), text('early'));
      // A reset before anyone touched the streams or `closed`.
      const b = await loop.pair();
      await b.peer.reset();
      await until(() => b.endpoint.socket.readyState === -1, T, 'reset seen');
      const error = await failure(b.endpoint.closed);
      expect(error).toMatchObject({ code: 'ECONNRESET' });
      expect(await failure(b.endpoint.readable.getReader().read())).toBe(error);
      expect(await failure(writeOnce(b.endpoint.writable, text('x')))).toBe(error);
      expect((await b.endpoint.opened).remoteAddress).toMatch(/:\d+$/);
    } finally {
      await loop.dispose();
    }
  });
});
