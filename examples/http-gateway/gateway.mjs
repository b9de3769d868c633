// One client connection of the gateway: requests are read one after the
// other from the same socket and sent on one upstream connection (opened on
// the first request, so an unreachable upstream is a 502); each response
// comes back before the next request is read (no pipelining upstream, but a
// client's pipelined bytes wait safely in its socket).
import { spliceBidirectional, writeBytes } from '@sosplice/core';
import { Deadline } from './deadline.mjs';
import { HttpError, headerLine, isBlank, parseRequest, parseResponse, serializeHead } from './head.mjs';
import { ADD, checkRequest, hopByHop, keepsAlive } from './hops.mjs';
import { BodyFailed, BodyProgress, forwardBody, readHead, readSmallBody, requestFraming, respondError, responseFraming } from './http1.mjs';

/** Methods a gateway may send twice (RFC 9110 9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);
const CONTINUE = headerLine('HTTP/1.1 100 Continue\r\n\r\n');
const UPSTREAM_HEAD = { tooLarge: 502, bad: 502 };
/** Interim (1xx) answers passed on before the final one: an upstream sending them forever is a 502. */
const MAX_INTERIM = 10;
const NO_BODY = new Uint8Array(0);

/**
 * Serves `client` until it closes or asks to: each request goes to the
 * upstream (`openUpstream()` resolves to an endpoint) with a `via` header,
 * each response back the same way; hop-by-hop fields are not forwarded, and
 * each hop gets its own Connection. Refusals: 400 (malformed or ambiguous
 * request), 431 (head too large), 501 (CONNECT), 502 (upstream unreachable,
 * failing, or not answering HTTP), 504 (no answer within
 * `upstreamTimeout` ms; a spliced request body that does not move for that
 * long is stopped and the upstream's answer looked for). A client silent for
 * `clientTimeout` ms between requests (or inside a head) is closed. Resolves
 * to `{ requests, forwarded, status?, timedOut? }` (`forwarded`: body bytes,
 * both ways; `timedOut`: the client was closed for its silence);
 * `onRequest({ method, target, status, up, down })` after each exchange.
 * The caller closes both sockets afterwards (`openUpstream()`'s latest: an
 * upstream connection replaced because the upstream closed it is closed here).
 */
export async function serveConnection(client, openUpstream, { onRequest, upstreamTimeout = 60_000, clientTimeout = 60_000 } = {}) {
  let upstream;
  let timedOut = false;
  let clientTimedOut = false;
  /** The request body on its way, while it is (see upstreamWait). */
  let body;
  // On expiry each ends what is waited on: the client with a FIN; the upstream with a reset (it is not answering),
  // or, while a spliced request body has not moved for that long, the body (the upstream may have answered, a 413, and stopped reading).
  const clientWait = new Deadline(clientTimeout, () => {
    clientTimedOut = true;
    void client.close();
  });
  const upstreamWait = new Deadline(upstreamTimeout, () => {
    if (body?.splice !== undefined) return body.stop();
    timedOut = true;
    void upstream?.writable.abort(new HttpError(504, `no answer within ${upstreamTimeout} ms`)).catch(() => {});
  });
  try {
    return await serve();
  } finally {
    clientWait.dispose();
    upstreamWait.dispose();
  }

  async function serve() {
    /** Exchanges done on this upstream connection: a reused one may have been closed by the upstream meanwhile. */
    let upstreamServed = 0;
    let requests = 0;
    let forwarded = 0;
    let blankSkipped = false;
    const refuse = async (error) => {
      await respondError(client, error.status, error.message);
      return { requests, forwarded, status: error.status };
    };
    /** The upstream's next head, or null if it is gone (a reset, EOF). */
    const readUpstreamHead = () =>
      readHead(upstream, UPSTREAM_HEAD).catch((error) => {
        if (error instanceof HttpError) throw error;
        return null;
      });
    for (;;) {
      let request;
      let framing;
      let clientKeeps;
      let upgrading;
      let upDrop;
      try {
        let bytes;
        clientWait.start();
        try {
          bytes = await readHead(client);
        } finally {
          clientWait.stop();
        }
        if (bytes === null) return clientTimedOut ? { requests, forwarded, timedOut: true } : { requests, forwarded }; // closed between requests
        // RFC 9112 2.2: an empty line before a request (some clients send one after a body) is ignored, once.
        if (isBlank(bytes) && !blankSkipped) {
          blankSkipped = true;
          continue;
        }
        request = parseRequest(bytes);
        checkRequest(request);
        framing = requestFraming(request);
        const connection = request.tokens('connection');
        clientKeeps = keepsAlive(request, connection);
        // RFC 9110 7.8: Upgrade is ignored in HTTP/1.0.
        upgrading = request.version === '1.1' && connection.includes('upgrade') && request.has('upgrade');
        upDrop = hopByHop(connection, upgrading, 400);
        // A length said twice goes on as one fresh line (RFC 9110 8.6).
        if (framing.repeated) upDrop = [...upDrop, 'content-length'];
      } catch (error) {
        // Closed by --client-timeout inside a head: nothing to answer.
        if (clientTimedOut) return { requests, forwarded, timedOut: true };
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
      const received = ADD[request.version];
      let upAdd = upgrading ? received.upgrade : !clientKeeps ? received.close : request.version === '1.0' ? received.keepAlive : received.keep;
      if (framing.repeated) upAdd = [...upAdd, headerLine(`content-length: ${framing.length}`)];
      let sentUp;
      /** The upstream stopped taking the request body: its answer (if any) still goes back, then the client's connection ends. */
      let requestCut = false;
      let response;
      let down;
      let downConnection;
      let downDrop;
      let answer;
      try {
        // A short body is read whole and leaves with the head in one write; a long one is spliced after it.
        const sent = framing.kind === 'none' ? NO_BODY : await readSmallBody(framing, client, 400);
        const head = serializeHead(request, upDrop, upAdd, sent);
        // Sends the request, resolves to the first response head, or null if the upstream is gone; the upstream's deadline runs from the body on.
        const exchange = async () => {
          try {
            await writeBytes(upstream, head);
          } catch {
            return null; // the upstream is gone
          }
          if (sent !== undefined) sentUp = sent.byteLength;
          else {
            // The deadline runs while the body does not move: a slow upload is not a stalled one.
            body = new BodyProgress();
            upstreamWait.start(body.moved);
            try {
              sentUp = await forwardBody(framing, client, upstream, 400, body);
            } catch (error) {
              if (!(error instanceof BodyFailed)) throw error;
              // The upstream may have answered before it stopped reading (a 413); a client that failed reset the upstream, which then answers nothing.
              requestCut = true;
              sentUp = body.moved();
            } finally {
              body = undefined;
            }
          }
          upstreamWait.start();
          return readUpstreamHead();
        };
        let bytes = await exchange();
        // An upstream closes an idle keep-alive connection when it likes (its
        // keep-alive timeout): an idempotent request the gateway still holds
        // whole is sent once more on a new connection (RFC 9110 9.2.2).
        if (bytes === null && !timedOut && upstreamServed > 0 && sent !== undefined && IDEMPOTENT.has(request.method)) {
          const stale = upstream;
          upstream = await openUpstream();
          upstreamServed = 0;
          await stale.close();
          bytes = await exchange();
        }
        // 1xx heads (but 101) come before the real one, all within the one deadline: passed on to an HTTP/1.1 client
        // (RFC 9110 15.2), but a 100 already answered here; a few only.
        for (let interim = 0; ; interim++) {
          if (timedOut) throw new HttpError(504, `the upstream did not answer within ${upstreamTimeout} ms`);
          if (bytes === null) throw new HttpError(502, requestCut ? 'the upstream stopped taking the request body' : 'the upstream closed before answering');
          response = parseResponse(bytes);
          if (response.status >= 200 || response.status === 101) break;
          if (interim === MAX_INTERIM) throw new HttpError(502, `more than ${MAX_INTERIM} interim answers`);
          if (request.version === '1.1' && !(expects && response.status === 100)) {
            await writeBytes(client, serializeHead(response, hopByHop(response.tokens('connection'), false, 502), ADD[response.version].keep, undefined, true));
          }
          bytes = await readUpstreamHead();
        }
        upstreamWait.stop();
        // Upgrade stays in a 101, and in a 426, which must say what to upgrade to (RFC 9110 15.5.22).
        downConnection = response.tokens('connection');
        downDrop = hopByHop(downConnection, response.status === 101 || response.status === 426, 502);
        down = responseFraming(response, request.method);
        // An HTTP/1.0 client cannot read chunks (RFC 9112 6.1), and the gateway does not re-frame bodies.
        if (down.kind === 'chunked' && request.version === '1.0') throw new HttpError(502, 'the upstream answered an HTTP/1.0 request in chunks');
        // Transfer-Encoding frames it: a Content-Length beside it is left out (RFC 9112 6.3), and one said twice goes on as one line;
        // read until close, neither goes on (an HTTP/1.0 response's Transfer-Encoding is faulty framing, 6.1).
        if (down.kind === 'chunked' || down.kind === 'until-close' || down.repeated) downDrop = [...downDrop, 'content-length'];
        if (down.faulty) downDrop = [...downDrop, 'transfer-encoding'];
        // Read before the head goes out: a short body cut by the upstream is still a clean 502.
        answer = await readSmallBody(down, upstream, 502);
      } catch (error) {
        if (timedOut) return refuse(new HttpError(504, `the upstream did not answer within ${upstreamTimeout} ms`));
        if (error instanceof HttpError) return refuse(error);
        return refuse(new HttpError(502, `the upstream failed: ${error.message}`));
      } finally {
        upstreamWait.stop();
      }
      upstreamServed++;
      const answered = ADD[response.version];
      if (response.status === 101) {
        // Switching protocols, as the client asked: from here on a tunnel, ended as one connection. Unasked, a tunnel would carry the next requests past every check.
        if (!upgrading || !response.has('upgrade')) return refuse(new HttpError(502, 'the upstream switched protocols unasked'));
        await writeBytes(client, serializeHead(response, downDrop, answered.upgrade, undefined, true));
        const [up, back] = await spliceBidirectional(client, upstream, { linked: true }).done;
        return { requests: requests + 1, forwarded: forwarded + up.bytes + back.bytes };
      }
      // The client not keeping the connection, a body that ends with it, or a request body left unread: the client is told, then FIN.
      const closing = !clientKeeps || down.kind === 'until-close' || requestCut;
      let add = closing ? answered.close : request.version === '1.0' ? answered.keepAlive : answered.keep;
      if (down.kind === 'length' && down.repeated) add = [...add, headerLine(`content-length: ${down.length}`)];
      await writeBytes(client, serializeHead(response, downDrop, add, answer, true));
      let sentDown = answer?.byteLength;
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
        // Not awaited: close() waits for the upstream's FIN (up to its linger), which the client must not.
        void upstream.close();
        upstream = undefined;
      }
    }
  }
}
