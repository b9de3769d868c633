/**
 * The one public shape (docs/adapters.md#one-shape, SPEC 6.1) on Node, over
 * real loopback sockets: `wrap()`, `connect()` and `listen()` with
 * WinterTC's `hostname` / `port` / `"host:port"` / `path` / `tls`, SocketInfo
 * strings, the shared error classes and codes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as adapter from '@sosplice/node-adapter';
import { connect, listen, wrap, SocketClosedError } from '@sosplice/node-adapter';
import { SocketClosedError as CoreSocketClosedError } from '@sosplice/core/socket';
import { tlsCert, tlsKey } from '../harness/node';
import { expectBytes, readAtLeast, readToEnd, text, withTimeout } from '../harness/_util';
import { listen as listenRaw } from './_pairs';

const T = 10_000;

/** A raw loopback server whose accepted sockets come out in order. */
async function rawServer(): Promise<{ port: number; next(): Promise<net.Socket>; close(): Promise<void> }> {
  const accepted: net.Socket[] = [];
  const waiting: Array<(s: net.Socket) => void> = [];
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => {});
    const take = waiting.shift();
    if (take) take(s);
    else accepted.push(s);
  });
  const port = await listenRaw(server);
  const all: net.Socket[] = [];
  server.on('connection', (s) => all.push(s));
  return {
    port,
    next: () => (accepted.length > 0 ? Promise.resolve(accepted.shift()!) : new Promise((r) => waiting.push(r))),
    close: async () => {
      for (const s of all) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('exports', () => {
  it('are the shared names: wrap, connect, listen, SocketClosedError (the core class), nodeDirectProvider', () => {
    expect(typeof adapter.wrap).toBe('function');
    expect(typeof adapter.connect).toBe('function');
    expect(typeof adapter.listen).toBe('function');
    expect(adapter.SocketClosedError).toBe(CoreSocketClosedError);
    expect(typeof adapter.nodeDirectProvider.splice).toBe('function');
    expect('fromNodeSocket' in adapter).toBe(false);
  });
});

describe('wrap()', () => {
  let server: Awaited<ReturnType<typeof rawServer>>;
  beforeAll(async () => {
    server = await rawServer();
  });
  afterAll(() => server.close());

  it('rejects what is not a net.Socket, with ERR_INVALID_ARG_TYPE', () => {
    expect(() => wrap({} as net.Socket)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' }));
  });

  it('validates its options (direct, highWaterMark, linger) with coded errors naming them', async () => {
    const socket = net.connect({ host: '127.0.0.1', port: server.port });
    try {
      expect(() => wrap(socket, { direct: 'yes' } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('options.direct') }));
      expect(() => wrap(socket, { highWaterMark: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('options.highWaterMark') }));
      expect(() => wrap(socket, { linger: -1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('options.linger') }));
      // Refused before anything was taken: the socket can still be wrapped.
      expect(wrap(socket).socket).toBe(socket);
    } finally {
      socket.destroy();
    }
  });

  it('refuses a socket wrapped already (ERR_SOCKET_WRAPPED), and the first wrapper still reads every byte', async () => {
    const socket = net.connect({ host: '127.0.0.1', port: server.port });
    const peer = await server.next();
    try {
      const first = wrap(socket);
      expect(() => wrap(socket)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_WRAPPED', name: 'TypeError', message: expect.stringContaining('"socket"') }));
      peer.end(text('0123456789'));
      expectBytes(await readToEnd(first.readable, T), text('0123456789'));
    } finally {
      socket.destroy();
    }
  });

  // Regression: a destroyed socket gave an endpoint whose `opened` rejected without a code.
  it('refuses a destroyed socket with SocketClosedError (ERR_SOCKET_CLOSED)', () => {
    const socket = new net.Socket();
    socket.destroy();
    let error: unknown;
    try {
      wrap(socket);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SocketClosedError);
    expect(error).toMatchObject({ code: 'ERR_SOCKET_CLOSED', message: expect.stringContaining('"socket"') });
    // Not wrapped: the refusal is the same on a second try.
    expect(() => wrap(socket)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
  });

  it('opened gives WinterTC SocketInfo strings, the same promise every time', async () => {
    const socket = net.connect({ host: '127.0.0.1', port: server.port });
    const peer = await server.next();
    try {
      const endpoint = wrap(socket);
      expect(endpoint.opened).toBe(endpoint.opened);
      expect(await endpoint.opened).toEqual({ remoteAddress: `127.0.0.1:${server.port}`, localAddress: `127.0.0.1:${peer.remotePort}` });
      expect(endpoint.socket).toBe(socket);
    } finally {
      socket.destroy();
    }
  });
});

describe('connect()', () => {
  let server: Awaited<ReturnType<typeof rawServer>>;
  beforeAll(async () => {
    server = await rawServer();
  });
  afterAll(() => server.close());

  async function echoOnce(endpoint: adapter.SpliceSocket<net.Socket>): Promise<void> {
    const peer = await server.next();
    peer.pipe(peer);
    const writer = endpoint.writable.getWriter();
    await writer.write(text('ping'));
    await writer.close();
    expectBytes(await readToEnd(endpoint.readable, T), text('ping'));
  }

  it('takes a "host:port" string', async () => {
    const endpoint = await connect(`127.0.0.1:${server.port}`);
    await echoOnce(endpoint);
    await endpoint.close();
  });

  it('takes { hostname, port } and the socket options', async () => {
    const endpoint = await connect({ hostname: '127.0.0.1', port: server.port, highWaterMark: 1024, direct: false, linger: 100 });
    expect((await endpoint.opened).remoteAddress).toBe(`127.0.0.1:${server.port}`);
    await echoOnce(endpoint);
    await endpoint.close();
  });

  it('refuses bad addresses and options before opening a socket, with coded errors', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;
    for (const [address, code] of [
      ['127.0.0.1', 'ERR_INVALID_ARG_TYPE'],
      [42, 'ERR_INVALID_ARG_TYPE'],
      [{ hostname: '127.0.0.1', port: 70000 }, 'ERR_OUT_OF_RANGE'],
      [{ hostname: '127.0.0.1', port: server.port, highWaterMark: -1 }, 'ERR_OUT_OF_RANGE'],
      [{ hostname: '127.0.0.1', port: server.port, tls: 'yes' }, 'ERR_INVALID_ARG_TYPE'],
      [{ path: '/tmp/x', port: 1 }, 'ERR_INVALID_ARG_TYPE'],
    ] as const) {
      await expect(connect(address as never)).rejects.toMatchObject({ code });
    }
    expect(process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length).toBe(before);
  });

  it("rejects with Node's own error when refused, and leaves no socket open", async () => {
    const closed = await rawServer();
    const port = closed.port;
    await closed.close();
    await expect(connect({ hostname: '127.0.0.1', port })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('connects to IPv6 as "[::1]:port" and reports it so', async () => {
    const server6 = net.createServer({ allowHalfOpen: true }, (s) => s.pipe(s));
    await new Promise<void>((r) => server6.listen(0, '::1', r));
    const port = (server6.address() as net.AddressInfo).port;
    try {
      const endpoint = await connect(`[::1]:${port}`);
      expect((await endpoint.opened).remoteAddress).toBe(`[::1]:${port}`);
      endpoint.socket.destroy();
    } finally {
      await new Promise((r) => server6.close(r));
    }
  });
});

describe('listen()', () => {
  it('defaults to 127.0.0.1 and a free port; accepted sockets come out in order', async () => {
    const listener = await listen({});
    expect(listener.address).toBe(`127.0.0.1:${listener.port}`);
    expect(listener.port).toBeGreaterThan(0);
    const clients = [net.connect({ host: '127.0.0.1', port: listener.port! }), net.connect({ host: '127.0.0.1', port: listener.port! })];
    await new Promise((r) => clients[0]!.once('connect', r));
    clients[0]!.write('first');
    await new Promise((r) => clients[1]!.once('connect', r));
    clients[1]!.end('second');
    const iterator = listener[Symbol.asyncIterator]();
    const a = (await iterator.next()).value as adapter.SpliceSocket<net.Socket>;
    const b = (await iterator.next()).value as adapter.SpliceSocket<net.Socket>;
    expectBytes(await readAtLeast(a.readable, 5, T), text('first'));
    expectBytes(await readToEnd(b.readable, T), text('second'));
    expect((await a.opened).localAddress).toBe(listener.address);
    for (const c of clients) c.destroy();
    await listener.close();
    // Closed: iteration ends and the port takes no more connections.
    expect((await iterator.next()).done).toBe(true);
    const refused = net.connect({ host: '127.0.0.1', port: listener.port! });
    await expect(new Promise((_, reject) => refused.once('error', reject))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('takes a "host:port" string, and close() never waits for accepted sockets', async () => {
    const listener = await listen('127.0.0.1:0');
    const client = net.connect({ host: '127.0.0.1', port: listener.port! });
    for await (const socket of listener) {
      expect(socket.socket.destroyed).toBe(false);
      break;
    }
    await withTimeout(listener.close(), T, 'close() with a socket still open');
    await listener.close();
    client.destroy();
  });

  it('listens on a Unix socket: address is the path, port null, SocketInfo the path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sosplice-'));
    const path = join(dir, 's.sock');
    try {
      await using listener = await listen({ path });
      expect(listener.address).toBe(path);
      expect(listener.port).toBeNull();
      const client = await connect({ path });
      expect((await client.opened).remoteAddress).toBe(path);
      const { value: accepted } = await listener[Symbol.asyncIterator]().next();
      expect((await accepted!.opened).localAddress).toBe(path);
      const writer = client.writable.getWriter();
      await writer.write(text('over unix'));
      await writer.close();
      expectBytes(await readToEnd(accepted!.readable, T), text('over unix'));
      accepted!.socket.destroy();
      client.socket.destroy();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves TLS with tls.createServer() options, and connect({ tls }) checks the certificate', async () => {
    await using listener = await listen({ hostname: '127.0.0.1', tls: { key: tlsKey(), cert: tlsCert() } });
    const client = await connect({ hostname: 'localhost', port: listener.port!, tls: { ca: tlsCert() } });
    const { value: accepted } = await listener[Symbol.asyncIterator]().next();
    const writer = client.writable.getWriter();
    await writer.write(text('secret'));
    await writer.close();
    expectBytes(await readToEnd(accepted!.readable, T), text('secret'));
    // Not the name on the certificate: refused by Node's own check, with its code.
    await expect(connect({ hostname: '127.0.0.1', port: listener.port!, tls: { ca: tlsCert(), servername: 'example.com', checkServerIdentity: (host: string) => new Error(`not ${host}`) } })).rejects.toBeInstanceOf(Error);
    accepted!.socket.destroy();
    client.socket.destroy();
  });

  it('refuses a port in use with Node\'s error (EADDRINUSE)', async () => {
    await using first = await listen({});
    await expect(listen({ port: first.port! })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});
