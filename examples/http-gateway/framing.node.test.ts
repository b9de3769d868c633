// The gateway and the upstream must agree where each message ends (request
// smuggling, RFC 9112 6.1, 11.2), and a tunnel opens only when asked for:
// the raw bytes each side sees, with the gateway under each runtime. Found
// in review, each against a lenient upstream that a strict one (node:http)
// would have hidden.
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIMES, runtimeBinary } from '../_runtimes.mjs';
import { startGateway, type RunningGateway } from './_gateway';
import { listen, raw, rawClient, rawExchange, rawUpstream, statusOf } from './_wire';

const T = 10_000;
const OK = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok';
const TOO_LARGE = 'HTTP/1.1 413 Payload Too Large\r\ncontent-length: 0\r\nconnection: close\r\n\r\n';
/** What the shared upstream answers, by request target. */
const ANSWERS: Record<string, string> = {
  '/ok': OK,
  '/length-twice': 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 2\r\n\r\nok',
  '/te-and-cl': 'HTTP/1.1 200 OK\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
  '/unasked-101': 'HTTP/1.1 101 Switching Protocols\r\nupgrade: foo\r\n\r\n',
  '/status-000': 'HTTP/1.1 000 X\r\ncontent-length: 5\r\n\r\nhello',
  '/http10': 'HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok',
  '/426': 'HTTP/1.1 426 Upgrade Required\r\nupgrade: h2c\r\nconnection: upgrade\r\ncontent-length: 0\r\n\r\n',
  '/chunked': 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
  '/bad-reason': 'HTTP/1.1 200 O\x01K\r\ncontent-length: 2\r\n\r\nok',
  '/interim-flood': 'HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n'.repeat(20),
};
/** Answered, then the upstream closes: a body framed by the close. */
const CLOSING: Record<string, string> = {
  // Faulty framing (RFC 9112 6.1): a client trusting the chunked would take the rest for the answer to its next request.
  '/http10-te': 'HTTP/1.0 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 5\r\nx-smuggled: yes\r\n\r\nEVIL!',
};

for (const runtime of RUNTIMES) describe.skipIf(runtimeBinary(runtime) === undefined)(`http-gateway framing, on ${runtime}`, () => {
  // One gateway for the tests that need no flag, in front of an upstream answering by target.
  const upstream = rawUpstream((request, socket) => {
    const target = /^\S+ (\S+)/.exec(request)?.[1] ?? '';
    // Refuses the body after its head (a 413) and resets: the gateway's splice of the body fails on the upstream's side.
    if (target === '/413-reset') socket.write(TOO_LARGE, () => socket.resetAndDestroy());
    else if (target === '/413-stall') {
      // Answers, then stops reading (the body fills the buffers); gone a while later.
      socket.write(TOO_LARGE);
      socket.pause();
      setTimeout(() => socket.destroy(), 4_000).unref();
    } else if (CLOSING[target] !== undefined) socket.end(CLOSING[target]);
    else if (target !== '/silent') socket.write(ANSWERS[target] ?? OK);
  });
  let target: string;
  let via: RunningGateway;
  /** What the upstream received since `mark` (upstream.received.length before the test's requests). */
  const since = (mark: number): string => upstream.received.slice(mark).join('');
  beforeAll(async () => {
    target = await listen(upstream.server);
    via = await startGateway(target, runtime);
  });
  afterAll(async () => {
    await via.stop();
    upstream.server.close();
  });
  /** A gateway of its own, with `flags`, stopped after the test. */
  const stops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(stops.splice(0).map((stop) => stop()));
  });
  async function gatewayWith(flags: string[]): Promise<RunningGateway> {
    const own = await startGateway(target, runtime, flags);
    stops.push(() => own.stop());
    return own;
  }

  describe('refused with 400, nothing of the request forwarded', () => {
    const cases: Array<[string, string]> = [
      ['a control byte in Content-Length', 'POST /ok HTTP/1.1\r\nhost: a\r\ncontent-length: 5\x0b\r\n\r\nhello'],
      ['a Content-Length that is not digits (NBSP, which trim() would take)', 'POST /ok HTTP/1.1\r\nhost: a\r\ncontent-length: \xa05\r\n\r\nhello'],
      ['two different lengths', 'POST /ok HTTP/1.1\r\nhost: a\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\nhello'],
      ['a control byte after chunked', 'POST /ok HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\x0c\r\n\r\n0\r\n\r\n'],
      ['chunked applied twice', 'POST /ok HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked, chunked\r\n\r\n0\r\n\r\n'],
      ['no Host in HTTP/1.1', 'GET /ok HTTP/1.1\r\n\r\n'],
      ['two Hosts', 'GET /ok HTTP/1.1\r\nhost: a\r\nhost: evil\r\n\r\n'],
      ['a Host that is not a host', 'GET /ok HTTP/1.1\r\nhost: a b, c@d\r\n\r\n'],
      ['a control byte in any header', 'GET /ok HTTP/1.1\r\nhost: a\r\nx-a: b\x01c\r\n\r\n'],
      ['a target byte above ASCII', 'GET /\xff HTTP/1.1\r\nhost: a\r\n\r\n'],
    ];
    it.each(cases)('%s', async (_what, request) => {
      const mark = upstream.received.length;
      expect(statusOf(await raw(via.port, Buffer.from(request, 'latin1')))).toBe(400);
      expect(since(mark)).toBe('');
    }, T);
  });

  it('CONNECT is answered 501 and not forwarded', async () => {
    const mark = upstream.received.length;
    expect(statusOf(await raw(via.port, 'CONNECT a:443 HTTP/1.1\r\nhost: a:443\r\n\r\ntunneldata'))).toBe(501);
    expect(since(mark)).toBe('');
  }, T);

  it('a trailer that is not a field line (bare LF) is refused before it is forwarded: the request after it never reaches the upstream', async () => {
    const mark = upstream.received.length;
    const smuggle = 'POST /ok HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX: a\n\nGET /smug HTTP/1.1\r\nhost: a\r\n\r\n';
    expect(statusOf(await raw(via.port, smuggle))).toBe(400);
    expect(since(mark)).not.toContain('X: a');
    expect(since(mark)).not.toContain('/smug');
  }, T);

  it('a chunk extension that is not token[=token|quoted] is refused', async () => {
    const mark = upstream.received.length;
    expect(statusOf(await raw(via.port, 'POST /ok HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n5;a\x00b"\r\nhello\r\n0\r\n\r\n'))).toBe(400);
    expect(since(mark)).not.toContain('hello');
  }, T);

  it('a length said twice goes on as one content-length line (RFC 9110 8.6), both ways', async () => {
    const mark = upstream.received.length;
    const response = await raw(via.port, 'POST /length-twice HTTP/1.1\r\nhost: a\r\ncontent-length: 5, 5\r\nconnection: close\r\n\r\nhello');
    expect(since(mark).match(/content-length/gi)).toEqual(['content-length']);
    expect(since(mark)).toMatch(/\r\ncontent-length: 5\r\n\r\nhello$/);
    expect(response.match(/content-length/gi)).toEqual(['content-length']);
    expect(response).toMatch(/\r\ncontent-length: 2\r\n\r\nok$/);
  }, T);

  it('a response with Transfer-Encoding and Content-Length goes on without the Content-Length (RFC 9112 6.3)', async () => {
    const response = await raw(via.port, 'GET /te-and-cl HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n');
    expect(response).not.toMatch(/content-length/i);
    expect(response).toMatch(/\r\ntransfer-encoding: chunked\r\n[^]*\r\n\r\n5\r\nhello\r\n0\r\n\r\n$/);
  }, T);

  it('a 101 nobody asked for is a 502, never a tunnel: the pipelined request after it is not forwarded raw', async () => {
    const mark = upstream.received.length;
    const client = rawClient(via.port);
    client.socket.on('error', () => {});
    client.socket.write('GET /unasked-101 HTTP/1.1\r\nhost: a\r\n\r\nGET /second HTTP/1.1\r\nhost: a\r\n\r\n');
    await once(client.socket, 'close');
    expect(statusOf(client.received)).toBe(502);
    expect(since(mark)).not.toContain('/second');
  }, T);

  it('a status outside 100-599 is a 502, not an interim answer', async () => {
    expect(statusOf(await raw(via.port, 'GET /status-000 HTTP/1.1\r\nhost: a\r\n\r\n'))).toBe(502);
  }, T);

  it("an HTTP/1.0 upstream's answer goes on as HTTP/1.1 with via 1.0, and the client keeps its connection", async () => {
    const client = rawClient(via.port);
    client.socket.write('GET /http10 HTTP/1.1\r\nhost: a\r\n\r\n');
    await client.until((text) => text.endsWith('ok'));
    expect(client.received).toMatch(/^HTTP\/1\.1 200 OK\r\ncontent-length: 2\r\nvia: 1\.0 sosplice-gateway\r\n\r\nok$/);
    client.socket.write('GET /http10 HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n');
    await once(client.socket, 'end');
    expect(client.received).toMatch(/okHTTP\/1\.1 200 OK\r\n[^]*\r\nconnection: close\r\n\r\nok$/);
  }, T);

  it('HTTP/1.0 with "keep-alive, close": close wins (RFC 9112 9.3)', async () => {
    const mark = upstream.received.length;
    const response = await raw(via.port, 'GET /ok HTTP/1.0\r\nconnection: keep-alive, close\r\n\r\n');
    expect(response).toMatch(/\r\nconnection: close\r\n\r\nok$/);
    expect(since(mark)).toMatch(/\r\nvia: 1\.0 sosplice-gateway\r\nconnection: close\r\n\r\n$/);
  }, T);

  it('an empty line before a request is ignored (RFC 9112 2.2), two as well, once', async () => {
    expect(statusOf(await raw(via.port, '\r\nGET /ok HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n'))).toBe(200);
    expect(statusOf(await raw(via.port, '\r\n\r\nGET /ok HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n'))).toBe(200);
    // Endless empty lines are not a request: the second blank head is a 400.
    expect(statusOf(await raw(via.port, '\r\n\r\n\r\n\r\nGET /ok HTTP/1.1\r\nhost: a\r\n\r\n'))).toBe(400);
  }, T);

  it("an HTTP/1.0 response's Transfer-Encoding is faulty framing: read until close and not passed on, so the client frames it the same way", async () => {
    const response = await raw(via.port, 'GET /http10-te HTTP/1.1\r\nhost: a\r\n\r\nGET /next HTTP/1.1\r\nhost: a\r\n\r\n');
    const [head] = response.split('\r\n\r\n');
    expect(head).not.toMatch(/transfer-encoding/i);
    expect(head).toMatch(/\r\nconnection: close$/);
    // The forged answer is body bytes of a body that ends with the connection, never an answer to /next.
    expect(response.endsWith('\r\n\r\n0\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 5\r\nx-smuggled: yes\r\n\r\nEVIL!')).toBe(true);
  }, T);

  it('an HTTP/1.0 client is never sent chunks (the gateway does not re-frame): 502', async () => {
    expect(statusOf(await raw(via.port, 'GET /chunked HTTP/1.0\r\n\r\n'))).toBe(502);
  }, T);

  it('a reason phrase with a control byte is a 502', async () => {
    expect(statusOf(await raw(via.port, 'GET /bad-reason HTTP/1.1\r\nhost: a\r\n\r\n'))).toBe(502);
  }, T);

  it('interim answers: ten are passed on, more is a 502', async () => {
    const response = await raw(via.port, 'GET /interim-flood HTTP/1.1\r\nhost: a\r\n\r\n');
    expect(response.match(/HTTP\/1\.1 103 /g)?.length).toBe(10);
    expect(response).toMatch(/HTTP\/1\.1 502 [^]*more than 10 interim answers/);
  }, T);

  it('Upgrade in an HTTP/1.0 request is ignored (RFC 9110 7.8): not forwarded', async () => {
    const mark = upstream.received.length;
    expect(statusOf(await raw(via.port, 'GET /ok HTTP/1.0\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n'))).toBe(200);
    expect(since(mark)).not.toMatch(/upgrade/i);
  }, T);

  it('a 426 keeps its Upgrade (it must say what to upgrade to)', async () => {
    const response = await raw(via.port, 'GET /426 HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n');
    expect(response).toMatch(/^HTTP\/1\.1 426 [^]*\r\nupgrade: h2c\r\n/);
  }, T);

  it('an upstream that answers early and resets mid-body: the client gets an answer, not a reset', async () => {
    const client = rawClient(via.port);
    let error: Error | undefined;
    client.socket.on('error', (e) => (error = e));
    client.socket.write(Buffer.concat([Buffer.from('POST /413-reset HTTP/1.1\r\nhost: a\r\ncontent-length: 4000000\r\n\r\n'), Buffer.alloc(4_000_000, 'x')]));
    await client.until((text) => text.includes('\r\n\r\n'));
    // The 413 if the gateway read it before the reset, a 502 otherwise. (When the whole body reached the
    // upstream's socket before its reset, the exchange completed: the client keeps its connection.)
    expect([413, 502]).toContain(statusOf(client.received));
    expect(error).toBeUndefined();
    client.socket.destroy();
  }, T);

  it('an upstream that answers and stops reading mid-body: the body stops after --upstream-timeout without progress, and its answer reaches the client', async () => {
    const own = await gatewayWith(['--upstream-timeout', '1000']);
    // 32 MB: more than the kernel's socket buffers on the way can hold, so the body really stalls.
    const { received, error } = await rawExchange(own.port, Buffer.concat([Buffer.from('POST /413-stall HTTP/1.1\r\nhost: a\r\ncontent-length: 32000000\r\n\r\n'), Buffer.alloc(32_000_000, 'x')]));
    expect(statusOf(received)).toBe(413);
    expect(received).toMatch(/\r\nconnection: close\r\n\r\n$/);
    expect(error).toBeUndefined();
  }, T);

  it('an upstream that never answers: 504 after --upstream-timeout', async () => {
    const own = await gatewayWith(['--upstream-timeout', '1000']);
    const started = performance.now();
    expect(statusOf(await raw(own.port, 'GET /silent HTTP/1.1\r\nhost: a\r\n\r\n'))).toBe(504);
    expect(performance.now() - started).toBeGreaterThan(900);
  }, T);

  it('a client that sends nothing is closed (FIN) after --client-timeout', async () => {
    const own = await gatewayWith(['--client-timeout', '1000']);
    const started = performance.now();
    const { received, error } = await rawExchange(own.port, '');
    expect(received).toBe('');
    expect(error).toBeUndefined();
    expect(performance.now() - started).toBeGreaterThan(900);
  }, T);
});
