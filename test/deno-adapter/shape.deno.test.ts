/**
 * The one public shape (docs/adapters.md#one-shape, SPEC 6.1) on Deno, over
 * real loopback sockets: `wrap()` refusing a conn wrapped twice or closed,
 * `connect()` / `listen()` with `"host:port"`, `{ hostname, port }`, `{ path }`
 * and TLS, the `SpliceSocket` members, and coded errors for bad input.
 */
import { describe, expect, it } from 'vitest';
import * as adapter from '@sosplice/deno-adapter';
import { connect, listen, SocketClosedError, wrap } from '@sosplice/deno-adapter';
import { SocketClosedError as CoreSocketClosedError } from '@sosplice/core/socket';
import { spliceAddresses } from '@sosplice/core';
import { codeOf, expectBytes, readAtLeast, text, withTimeout } from '../harness/_util';
import { deno, denoTls } from '../harness/deno';
import { cleanupAfterEach, rawPair as rawPairOf, countIo, T, writeFull } from './_util';

const cleanup = cleanupAfterEach();
const rawPair = () => rawPairOf(cleanup);

describe('deno wrap()', () => {
  it('refuses a conn wrapped already, and the first wrapper still reads every byte', async () => {
    // Regression: fromDenoConn accepted the same conn twice, and the first
    // wrapper's background read took "0": the second read "123456789".
    const { mine, peer } = await rawPair();
    const first = wrap(mine);
    void first.closed; // in use: its watch read is pending
    let refused: unknown;
    try {
      wrap(mine);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(TypeError);
    expect(refused).toMatchObject({ code: 'ERR_SOCKET_WRAPPED' });
    expect(String((refused as Error).message)).toMatch(/"socket"/);
    await writeFull(peer, text('0123456789'));
    expectBytes(await readAtLeast(first.readable, 10, T), text('0123456789'), 'what the first wrapper reads');
  });

  it('refuses a conn it closed with SocketClosedError (ERR_SOCKET_CLOSED)', async () => {
    const { mine, peer } = await rawPair();
    const socket = wrap(mine, { linger: 0 });
    await socket.close();
    expect(() => wrap(mine)).toThrow(SocketClosedError);
    expect(codeOf(() => wrap(mine))).toBe('ERR_SOCKET_CLOSED');
    peer.close();
  });

  it('refuses what is not a conn, and bad options, with coded errors before any I/O', async () => {
    for (const value of [undefined, null, 42, {}, 'conn']) expect(codeOf(() => wrap(value as never))).toBe('ERR_INVALID_ARG_TYPE');
    const { mine } = await rawPair();
    const io = countIo(mine);
    expect(codeOf(() => wrap(mine, 42 as never))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => wrap(mine, { direct: 'yes' as never }))).toBe('ERR_INVALID_ARG_TYPE');
    expect(() => wrap(mine, { highWaterMark: 0 })).toThrow(RangeError);
    expect(codeOf(() => wrap(mine, { highWaterMark: 1.5 }))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => wrap(mine, { linger: -1 }))).toBe('ERR_OUT_OF_RANGE');
    // Refused options leave the conn unwrapped: it can still be wrapped once.
    const socket = wrap(mine);
    expect(io.bytesRead + io.bytesWritten).toBe(0);
    expect(socket.socket).toBe(mine);
  });

  it('starts no read and makes no stream until one is asked for (a cheap accept path)', async () => {
    const { mine, peer } = await rawPair();
    let reads = 0;
    const read = mine.read;
    mine.read = (p) => (reads++, read.call(mine, p));
    const socket = wrap(mine);
    expect(reads).toBe(0);
    expect(socket.readableBuffered).toBe(0);
    expect(socket.writableBuffered).toBe(0);
    await writeFull(peer, text('hello'));
    expectBytes(await readAtLeast(socket.readable, 5, T), text('hello'), 'read once asked');
    expect(reads).toBeGreaterThan(0);
  });

  it('has the one shape: SpliceSocket members, no per-adapter extras', async () => {
    const { mine } = await rawPair();
    const socket = wrap(mine);
    const info = await socket.opened;
    expect(info.localAddress).toBe(`127.0.0.1:${mine.localAddr.port}`);
    expect(info.remoteAddress).toBe(`127.0.0.1:${mine.remoteAddr.port}`);
    expect((socket as unknown as Record<symbol, unknown>)[spliceAddresses]).toBeTypeOf('function');
    for (const gone of ['conn', 'stats', 'destroyed']) expect(gone in socket, gone).toBe(false);
    expect(SocketClosedError).toBe(CoreSocketClosedError);
    const names = Object.keys(adapter).sort();
    expect(names).toEqual(['DenoDatagramEndpoint', 'SocketClosedError', 'bindDatagram', 'connect', 'connectDatagram', 'denoDirectProvider', 'listen', 'wrap']);
  });
});

describe('deno connect() / listen()', () => {
  it('"host:port" and { hostname, port }: accepted sockets come out of the listener in order', async () => {
    const listener = await listen('127.0.0.1:0');
    cleanup.push(() => listener.close());
    expect(listener.address).toBe(`127.0.0.1:${listener.port}`);
    const accepted = listener[Symbol.asyncIterator]();
    const one = await connect(listener.address);
    const two = await connect({ hostname: '127.0.0.1', port: listener.port! });
    cleanup.push(() => one.close(), () => two.close());
    const [a, b] = [(await accepted.next()).value!, (await accepted.next()).value!];
    cleanup.push(() => a.close(), () => b.close());
    expect((await a.opened).remoteAddress).toBe((await one.opened).localAddress);
    expect((await b.opened).remoteAddress).toBe((await two.opened).localAddress);
    const w = one.writable.getWriter();
    await w.write(text('ping'));
    w.releaseLock();
    expectBytes(await readAtLeast(a.readable, 4, T), text('ping'), 'through the accepted socket');
    await listener.close();
    expect(await withTimeout(accepted.next(), T, 'iteration ends')).toEqual({ value: undefined, done: true });
    await listener.close(); // twice: still resolves
  });

  it('{ path }: a Unix socket, address is the path and port is null', async () => {
    const dir = deno().makeTempDirSync({ prefix: 'sosplice-shape-' });
    cleanup.push(() => deno().removeSync(dir, { recursive: true }));
    await using listener = await listen({ path: `${dir}/s.sock` });
    expect(listener.address).toBe(`${dir}/s.sock`);
    expect(listener.port).toBeNull();
    const client = await connect({ path: listener.address });
    const server = (await listener[Symbol.asyncIterator]().next()).value!;
    cleanup.push(() => client.close(), () => server.close());
    await writeFull(server.socket, text('unix'));
    expectBytes(await readAtLeast(client.readable, 4, T), text('unix'), 'over the Unix socket');
  });

  it('tls: listen({ tls: { cert, key } }) and connect({ tls: { caCerts } }) resolve after the handshake', async () => {
    const { cert, key } = denoTls();
    await using listener = await listen({ hostname: '127.0.0.1', port: 0, tls: { cert, key } });
    const accepting = listener[Symbol.asyncIterator]().next();
    const client = await connect({ hostname: 'localhost', port: listener.port!, tls: { caCerts: [cert] } });
    const server = (await accepting).value!;
    cleanup.push(() => client.close(), () => server.close());
    const w = server.writable.getWriter();
    await w.write(text('secret'));
    w.releaseLock();
    expectBytes(await readAtLeast(client.readable, 6, T), text('secret'), 'over TLS');
    // An untrusted certificate fails in connect(), not on the first read.
    await expect(connect({ hostname: 'localhost', port: listener.port!, tls: true })).rejects.toBeInstanceOf(Error);
  });

  it('refuses bad addresses with coded errors, and a refused port with the runtime code', async () => {
    for (const bad of ['nope', 'host:99999', '::1:80', { port: 70_000 }, { hostname: '', port: 1 }, { path: '/x', port: 1 }, null]) {
      const error = await connect(bad as never).then(() => undefined, (e: unknown) => e);
      expect((error as { code?: unknown }).code, JSON.stringify(bad)).toMatch(/^ERR_(INVALID_ARG_TYPE|OUT_OF_RANGE)$/);
    }
    await expect(listen({ port: -1 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(connect({ path: '/x', tls: true } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    const l = deno().listen({ hostname: '127.0.0.1', port: 0 });
    const port = l.addr.port!;
    l.close();
    await expect(connect({ port })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('the bytes of a conn accepted before anyone iterates wait for the iterator', async () => {
    await using listener = await listen({ port: 0 });
    const client = await connect(listener.address);
    cleanup.push(() => client.close());
    await writeFull(client.socket, text('early'));
    const server = (await withTimeout(listener[Symbol.asyncIterator]().next(), T, 'accept')).value!;
    cleanup.push(() => server.close());
    expectBytes(await readAtLeast(server.readable, 5, T), text('early'), 'early bytes');
  });
});
