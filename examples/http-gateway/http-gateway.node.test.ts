// The http-gateway example as a user runs it: a child process (under each
// runtime) between a real HTTP client and a real HTTP server, several
// requests on one keep-alive connection. Needs `pnpm build`.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIMES, runtimeBinary } from '../_runtimes.mjs';
import { startGateway, type RunningGateway } from './_gateway';

const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
/** Deterministic bytes of any size, different per seed, so a shifted body cannot pass. */
const body = (size: number, seed: number) => Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed * 7 + (i >> 9)) & 255);

let upstream: http.Server;
let upstreamConnections = 0;
let target: string;

beforeAll(async () => {
  // Echoes what it got (length, hash, the gateway's via) and answers
  // ?size=N bytes, with Content-Length or, with ?chunked, chunked.
  upstream = http.createServer(async (req, res) => {
    const hash = createHash('sha256');
    let n = 0;
    for await (const chunk of req) {
      hash.update(chunk);
      n += chunk.length;
    }
    const url = new URL(req.url!, 'http://x');
    const reply = body(Number(url.searchParams.get('size') ?? 0), Number(url.searchParams.get('seed') ?? 0));
    res.setHeader('x-got', `${n} ${hash.digest('hex')}`);
    res.setHeader('x-via', String(req.headers.via));
    if (url.searchParams.has('chunked')) {
      res.write(reply.subarray(0, 1000));
      res.end(reply.subarray(1000));
    } else {
      res.setHeader('content-length', reply.length);
      res.end(reply);
    }
  });
  upstream.on('connection', () => upstreamConnections++);
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  target = `127.0.0.1:${(upstream.address() as net.AddressInfo).port}`;
});

afterAll(() => {
  upstream.close();
});

for (const runtime of RUNTIMES) describe.skipIf(runtimeBinary(runtime) === undefined)(`http-gateway on ${runtime}`, () => {
  let gateway: RunningGateway;
  let port: number;
  beforeAll(async () => {
    gateway = await startGateway(target, runtime);
    port = gateway.port;
  });
  afterAll(async () => {
    await gateway.stop();
  });
  const lineFor = (localPort: number, re?: RegExp): Promise<string> => gateway.lineFor(localPort, re);

  it('serves a keep-alive sequence of mixed requests on one connection, every response intact', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const requests = [
      { method: 'POST', path: '/a?size=100&seed=1', send: body(5, 1) },
      { method: 'POST', path: '/b?size=300000&seed=2', send: body(1_000_000, 2) },
      { method: 'GET', path: '/c?size=70000&seed=3&chunked' },
      { method: 'POST', path: '/d?size=0', send: body(65_537, 4) },
      { method: 'GET', path: '/e?size=1&seed=5' },
    ];
    let localPort = 0;
    const before = upstreamConnections;
    for (const r of requests) {
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, method: r.method, path: r.path, agent }, resolve);
        req.on('error', reject);
        req.on('socket', (s) => (localPort ||= (s as net.Socket).localPort ?? 0));
        req.end(r.send === undefined ? undefined : Buffer.from(r.send));
      });
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c);
      const got = Buffer.concat(chunks);
      const url = new URL(r.path, 'http://x');
      const expected = body(Number(url.searchParams.get('size')), Number(url.searchParams.get('seed') ?? 0));
      expect(res.statusCode).toBe(200);
      expect(sha(got), r.path).toBe(sha(expected));
      expect(res.headers['x-got']).toBe(`${r.send?.length ?? 0} ${sha(r.send ?? new Uint8Array(0))}`);
      expect(res.headers.via).toBe('1.1 sosplice-gateway');
      expect(res.headers['x-via']).toBe('1.1 sosplice-gateway');
    }
    agent.destroy();
    // One client connection carried all five, and one upstream connection.
    expect(await lineFor(localPort)).toMatch(/ 5 requests on one connection, \d+ body bytes forwarded/);
    expect(upstreamConnections - before).toBe(1);
  });

  it('keeps pipelined bytes after a body: two requests in one write, two responses', async () => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    await once(socket, 'connect');
    const local = socket.localPort!;
    const first = body(200_000, 6);
    const second = body(10, 7);
    const req = (path: string, b: Uint8Array) => Buffer.concat([Buffer.from(`POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-length: ${b.length}\r\n\r\n`), b]);
    // The second head sits right behind the first body: max must stop exactly there.
    socket.end(Buffer.concat([req('/p1?size=3&seed=8', first), req('/p2?size=4&seed=9', second)]));
    const chunks: Buffer[] = [];
    for await (const c of socket) chunks.push(c);
    const text = Buffer.concat(chunks).toString('latin1');
    const heads = [...text.matchAll(/x-got: (\d+) ([0-9a-f]+)/g)].map((m) => [Number(m[1]), m[2]]);
    expect(heads).toEqual([
      [first.length, sha(first)],
      [second.length, sha(second)],
    ]);
    // Bytes are forwarded in order whatever happens, so the proof that the
    // gateway's own parse saw the second head whole is its log.
    expect(await lineFor(local, /POST \/p2/)).toMatch(/ POST \/p2\?size=4&seed=9 → 200, body 10 B up, 4 B down/);
    expect(await lineFor(local)).toMatch(/ 2 requests on one connection/);
  });

  it('forwards a fetch() streaming (chunked) request body through the userspace loop', async () => {
    const parts = [body(3, 10), body(100_000, 11), body(1, 12)];
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (const p of parts) c.enqueue(p);
        c.close();
      },
    });
    const res = await fetch(`http://127.0.0.1:${port}/f?size=5000&seed=13`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    const got = new Uint8Array(await res.arrayBuffer());
    const all = Buffer.concat(parts);
    expect(res.headers.get('x-got')).toBe(`${all.length} ${sha(all)}`);
    expect(sha(got)).toBe(sha(body(5000, 13)));
  });
});
