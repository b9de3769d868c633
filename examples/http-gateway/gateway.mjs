// One client connection of the gateway: requests are read one after the
// other from the same socket and sent on one upstream connection (opened on
// the first request, so an unreachable upstream is a 502); each response
// comes back before the next request is read (no pipelining upstream, but a
// client's pipelined bytes wait safely in its socket).
import { spliceBidirectional, writeBytes } from '@sosplice/core';
import {
  HttpError,
  forwardBody,
  hasToken,
  parseRequest,
  parseResponse,
  readHead,
  readSmallBody,
  requestFraming,
  respondError,
  responseFraming,
  serializeHead,
} from './http1.mjs';

const VIA = 'via: 1.1 sosplice-gateway';
/** Methods a gateway may send twice (RFC 9110 9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);
const CONTINUE = new TextEncoder().encode('HTTP/1.1 100 Continue\r\n\r\n');

/** The connection stays open after this message (RFC 9112 9.3): 1.1 unless `close`, 1.0 only with `keep-alive`. */
const keepsAlive = (head) => (head.version === '1.1' ? !hasToken(head, 'connection', 'close') : hasToken(head, 'connection', 'keep-alive'));

/**
 * Serves `client` until it closes or asks to: each request goes to the
 * upstream (`openUpstream()` resolves to an endpoint) with a `via` header,
 * each response back the same way. Refusals: 400 (malformed or ambiguous
 * request), 431 (head too large), 502 (upstream unreachable, or not
 * answering HTTP). Resolves to `{ requests, forwarded, status? }`
 * (`forwarded`: body bytes, both ways); the caller closes both sockets
 * afterwards (`openUpstream()`'s latest: an upstream connection replaced
 * after the upstream closed it is closed here).
 */
export async function serveConnection(client, openUpstream, onRequest = () => {}) {
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
    try {
      const bytes = await readHead(client);
      if (bytes === null) return { requests, forwarded }; // closed between requests
      request = parseRequest(bytes);
      framing = requestFraming(request);
    } catch (error) {
      if (error instanceof HttpError) return refuse(error);
      throw error;
    }
    if (upstream === undefined) {
      try {
        upstream = await openUpstream();
      } catch (error) {
        return refuse(new HttpError(502, `upstream unreachable: ${error.message}`));
      }
    }
    // Expect: 100-continue is answered here (the body is forwarded either way), so no client waits for it.
    const expects = request.version === '1.1' && hasToken(request, 'expect', '100-continue');
    if (expects && framing.kind !== 'none') await writeBytes(client, CONTINUE);
    let sentUp;
    let response;
    let down;
    let body;
    try {
      // A short body is read whole and leaves with the head in one write; a long one is spliced after it.
      const sent = await readSmallBody(framing, client, 400);
      const head = serializeHead(request, { drop: expects ? ['expect'] : [], add: [VIA], body: sent });
      // Sends the request, resolves to the first response head, or null if the upstream is gone.
      const exchange = async () => {
        try {
          await writeBytes(upstream, head);
        } catch {
          return null; // the upstream is gone
        }
        sentUp = sent?.byteLength ?? (await forwardBody(framing, client, upstream, 400));
        return readHead(upstream, { tooLarge: 502, bad: 502 }).catch((error) => {
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
      // 1xx heads (but 101) come before the real one: pass them on.
      for (;;) {
        if (bytes === null) throw new HttpError(502, 'the upstream closed before answering');
        response = parseResponse(bytes);
        if (response.status >= 200 || response.status === 101) break;
        await writeBytes(client, serializeHead(response, { add: [VIA] }));
        bytes = await readHead(upstream, { tooLarge: 502, bad: 502 });
      }
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
      await writeBytes(client, serializeHead(response, { add: [VIA] }));
      const [up, back] = await spliceBidirectional(client, upstream, { linked: true }).done;
      return { requests: requests + 1, forwarded: forwarded + up.bytes + back.bytes };
    }
    // Either side not keeping the connection, or a body that ends with it: the client is told, then FIN.
    const closing = !keepsAlive(request) || !keepsAlive(response) || down.kind === 'until-close';
    const head = closing ? { drop: ['connection', 'keep-alive'], add: [VIA, 'connection: close'], body } : { add: [VIA], body };
    await writeBytes(client, serializeHead(response, head));
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
    onRequest(`${request.method} ${request.start.split(' ')[1]} → ${response.status}, body ${sentUp} B up, ${sentDown} B down`);
    if (closing) {
      // until-close ended with the splice's own FIN; otherwise send ours.
      if (down.kind !== 'until-close') await client.writable.close().catch(() => {});
      return { requests, forwarded };
    }
  }
}
