// One client connection of the gateway: requests are read one after the
// other from the same socket and sent on one upstream connection (opened on
// the first request, so an unreachable upstream is a 502); each response
// comes back before the next request is read (no pipelining upstream, but a
// client's pipelined bytes wait safely in its socket).
import { spliceBidirectional, writeBytes } from '@sosplice/core';
import {
  HttpError,
  forwardBody,
  headerLine,
  parseRequest,
  parseResponse,
  readHead,
  readSmallBody,
  requestFraming,
  respondError,
  responseFraming,
  serializeHead,
} from './http1.mjs';

const VIA = headerLine('via: 1.1 sosplice-gateway');
const CLOSE = headerLine('connection: close');
const KEEP_ALIVE = headerLine('connection: keep-alive');
const UPGRADE = headerLine('connection: upgrade');
/** The lines each hop's message gets: via, and the gateway's own Connection for that hop. */
const ADD = { keep: [VIA], close: [VIA, CLOSE], keepAlive10: [VIA, KEEP_ALIVE], upgrade: [VIA, UPGRADE] };
const UPSTREAM_HEAD = { tooLarge: 502, bad: 502 };
const NO_BODY = new Uint8Array(0);
/** Methods a gateway may send twice (RFC 9110 9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);
const CONTINUE = new TextEncoder().encode('HTTP/1.1 100 Continue\r\n\r\n');

/**
 * Fields that describe one hop and are never forwarded (RFC 9110 7.6.1):
 * Connection itself and those known to be hop-by-hop; the fields Connection
 * names are added per message. Each hop gets the gateway's own Connection.
 * Transfer-Encoding stays: a chunked body is forwarded framing and all.
 */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'upgrade'];
/** Fields the gateway frames and routes by: a Connection header naming one would make it change a message's framing (a smuggling vector), so it is refused. */
const PINNED = new Set(['content-length', 'transfer-encoding', 'host']);

/** The header lines to leave out of a forwarded message whose Connection lists `connection`; Upgrade is kept when `upgrading`. */
function hopByHop(connection, upgrading, status) {
  let drop = upgrading ? HOP_BY_HOP.filter((name) => name !== 'upgrade') : HOP_BY_HOP;
  for (const token of connection) {
    if (PINNED.has(token)) throw new HttpError(status, `Connection names ${token}, which frames the message`);
    if (token !== 'close' && !(token === 'upgrade' && upgrading) && !drop.includes(token)) drop = [...drop, token];
  }
  return drop;
}

/** The connection stays open after this message (RFC 9112 9.3): 1.1 unless `close`, 1.0 only with `keep-alive`. */
const keepsAlive = (head, connection) => (head.version === '1.1' ? !connection.includes('close') : connection.includes('keep-alive'));

/**
 * Serves `client` until it closes or asks to: each request goes to the
 * upstream (`openUpstream()` resolves to an endpoint) with a `via` header,
 * each response back the same way; hop-by-hop fields are not forwarded, and
 * each hop gets its own Connection. Refusals: 400 (malformed or ambiguous
 * request), 431 (head too large), 502 (upstream unreachable, or not
 * answering HTTP). Resolves to `{ requests, forwarded, status? }`
 * (`forwarded`: body bytes, both ways); `onRequest({ method, target, status,
 * up, down })` after each exchange. The caller closes both sockets
 * afterwards (`openUpstream()`'s latest: an upstream connection replaced
 * because the upstream closed it is closed here).
 */
export async function serveConnection(client, openUpstream, onRequest) {
  let upstream;
  /** Exchanges done on this upstream connection: a reused one may have been closed by the upstream meanwhile. */
  let upstreamServed = 0;
  let requests = 0;
  let forwarded = 0;
  const refuse = async (error) => {
    await respondError(client, error.status, error.message);
    return { requests, forwarded, status: error.status };
  };
  for (;;) {
    let request;
    let framing;
    let clientKeeps;
    let upgrading;
    let upDrop;
    try {
      const bytes = await readHead(client);
      if (bytes === null) return { requests, forwarded }; // closed between requests
      request = parseRequest(bytes);
      framing = requestFraming(request);
      const connection = request.tokens('connection');
      clientKeeps = keepsAlive(request, connection);
      upgrading = connection.includes('upgrade') && request.has('upgrade');
      upDrop = hopByHop(connection, upgrading, 400);
    } catch (error) {
      if (error instanceof HttpError) return refuse(error);
      throw error;
    }
    if (upstream === undefined) {
      try {
        upstream = await openUpstream();
        upstreamServed = 0;
      } catch (error) {
        return refuse(new HttpError(502, `upstream unreachable: ${error.message}`));
      }
    }
    // Expect: 100-continue is answered here (the body is forwarded either way), so no client waits for it.
    const expects = request.version === '1.1' && request.tokens('expect').includes('100-continue');
    if (expects) upDrop = [...upDrop, 'expect'];
    if (expects && framing.kind !== 'none') await writeBytes(client, CONTINUE);
    // The upstream hop's own Connection: its connection lives as long as the client's.
    const upAdd = upgrading ? ADD.upgrade : !clientKeeps ? ADD.close : request.version === '1.0' ? ADD.keepAlive10 : ADD.keep;
    let sentUp;
    let response;
    let down;
    let downConnection;
    let downDrop;
    let body;
    try {
      // A short body is read whole and leaves with the head in one write; a long one is spliced after it.
      const sent = framing.kind === 'none' ? NO_BODY : await readSmallBody(framing, client, 400);
      const head = serializeHead(request, upDrop, upAdd, sent);
      // Sends the request, resolves to the first response head, or null if the upstream is gone.
      const exchange = async () => {
        try {
          await writeBytes(upstream, head);
        } catch {
          return null; // the upstream is gone
        }
        sentUp = sent?.byteLength ?? (await forwardBody(framing, client, upstream, 400));
        return readHead(upstream, UPSTREAM_HEAD).catch((error) => {
          if (error instanceof HttpError) throw error;
          return null; // a reset
        });
      };
      let bytes = await exchange();
      // An upstream closes an idle keep-alive connection when it likes (its
      // keep-alive timeout): an idempotent request the gateway still holds
      // whole is sent once more on a new connection (RFC 9110 9.2.2).
      if (bytes === null && upstreamServed > 0 && sent !== undefined && IDEMPOTENT.has(request.method)) {
        const stale = upstream;
        upstream = await openUpstream();
        upstreamServed = 0;
        await stale.close();
        bytes = await exchange();
      }
      // 1xx heads (but 101) come before the real one: passed on to an HTTP/1.1 client (RFC 9110 15.2), but a 100 already answered here.
      for (;;) {
        if (bytes === null) throw new HttpError(502, 'the upstream closed before answering');
        response = parseResponse(bytes);
        if (response.status >= 200 || response.status === 101) break;
        if (request.version === '1.1' && !(expects && response.status === 100)) {
          await writeBytes(client, serializeHead(response, hopByHop(response.tokens('connection'), false, 502), ADD.keep));
        }
        bytes = await readHead(upstream, UPSTREAM_HEAD);
      }
      downConnection = response.tokens('connection');
      downDrop = hopByHop(downConnection, response.status === 101, 502);
      down = responseFraming(response, request.method);
      // Read before the head goes out: a short body cut by the upstream is still a clean 502.
      body = await readSmallBody(down, upstream, 502);
    } catch (error) {
      if (error instanceof HttpError) return refuse(error);
      return refuse(new HttpError(502, `the upstream failed: ${error.message}`));
    }
    upstreamServed++;
    if (response.status === 101) {
      // Switching protocols: from here on a tunnel, ended as one connection.
      await writeBytes(client, serializeHead(response, downDrop, ADD.upgrade));
      const [up, back] = await spliceBidirectional(client, upstream, { linked: true }).done;
      return { requests: requests + 1, forwarded: forwarded + up.bytes + back.bytes };
    }
    // The client not keeping the connection, or a body that ends with it: the client is told, then FIN.
    const closing = !clientKeeps || down.kind === 'until-close';
    const add = closing ? ADD.close : request.version === '1.0' ? ADD.keepAlive10 : ADD.keep;
    await writeBytes(client, serializeHead(response, downDrop, add, body));
    let sentDown = body?.byteLength;
    try {
      sentDown ??= await forwardBody(down, upstream, client, 502);
    } catch (error) {
      // The head is out: the only honest signal left is a reset (docs/contract.md#how-a-splice-ends), not a clean end.
      await client.writable.abort(error).catch(() => {});
      return { requests, forwarded, status: 502 };
    }
    requests++;
    forwarded += sentUp + sentDown;
    onRequest?.({ method: request.method, target: request.target, status: response.status, up: sentUp, down: sentDown });
    if (closing) {
      // until-close ended with the splice's own FIN; otherwise send ours.
      if (down.kind !== 'until-close') await client.writable.close().catch(() => {});
      return { requests, forwarded };
    }
    if (!keepsAlive(response, downConnection)) {
      // The upstream ends its connection after this answer, the client keeps its own: the next request gets a new upstream connection.
      const stale = upstream;
      upstream = undefined;
      await stale.close();
    }
  }
}
