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
export function serveConnection(client, openUpstream, options = {}) {
  return new ClientConnection(client, openUpstream, options).serve();
}

/** What a request brings to its exchange (see #nextRequest()). */
class Incoming {
  constructor(request, framing, clientKeeps, upgrading, expects, drop, add) {
    this.request = request;
    this.framing = framing;
    /** The client keeps its connection after this exchange. */
    this.clientKeeps = clientKeeps;
    /** The client asks to switch protocols (and may get a tunnel). */
    this.upgrading = upgrading;
    /** Expect: 100-continue, answered here. */
    this.expects = expects;
    /** The header lines left out of, and added to, the request that goes on. */
    this.drop = drop;
    this.add = add;
  }
}

/** The upstream's answer to an Incoming (see #ask()). */
class Answer {
  constructor(response, framing, connection, drop, body, sent, requestCut) {
    this.response = response;
    this.framing = framing;
    /** The response's Connection tokens. */
    this.connection = connection;
    /** The header lines left out of the response that goes on. */
    this.drop = drop;
    /** A short body read whole (it leaves with the head), or undefined: spliced after it. */
    this.body = body;
    /** Request body bytes sent. */
    this.sent = sent;
    /** The upstream stopped taking the request body: the client's connection ends after the answer. */
    this.requestCut = requestCut;
  }
}

class ClientConnection {
  upstream = undefined;
  /** Exchanges done on this upstream connection: a reused one may have been closed by the upstream meanwhile. */
  upstreamServed = 0;
  requests = 0;
  forwarded = 0;
  blankSkipped = false;
  timedOut = false;
  clientTimedOut = false;
  /** The request body on its way, while it is (see upstreamWait). */
  body = undefined;

  constructor(client, openUpstream, { onRequest, upstreamTimeout = 60_000, clientTimeout = 60_000 }) {
    this.client = client;
    this.openUpstream = openUpstream;
    this.onRequest = onRequest;
    this.upstreamTimeout = upstreamTimeout;
    // On expiry each ends what is waited on: the client with a FIN; the upstream with a reset (it is not answering),
    // or, while a spliced request body has not moved for that long, the body (the upstream may have answered, a 413, and stopped reading).
    this.clientWait = new Deadline(clientTimeout, () => {
      this.clientTimedOut = true;
      void client.close();
    });
    this.upstreamWait = new Deadline(upstreamTimeout, () => {
      if (this.body?.splice !== undefined) return this.body.stop();
      this.timedOut = true;
      void this.upstream?.writable.abort(new HttpError(504, `no answer within ${upstreamTimeout} ms`)).catch(() => {});
    });
  }

  async serve() {
    try {
      for (;;) {
        const incoming = await this.#nextRequest();
        if (!(incoming instanceof Incoming)) return incoming;
        const end = await this.#exchange(incoming);
        if (end !== undefined) return end;
      }
    } finally {
      this.clientWait.dispose();
      this.upstreamWait.dispose();
    }
  }

  /** What serve() resolves to. */
  #result(extra) {
    return { requests: this.requests, forwarded: this.forwarded, ...extra };
  }

  async #refuse(error) {
    await respondError(this.client, error.status, error.message);
    return this.#result({ status: error.status });
  }

  /** The next request, checked, as an Incoming; or the result to end with (the client closed, timed out, or was refused). */
  async #nextRequest() {
    try {
      for (;;) {
        let bytes;
        this.clientWait.start();
        try {
          bytes = await readHead(this.client);
        } finally {
          this.clientWait.stop();
        }
        if (bytes === null) return this.#result(this.clientTimedOut ? { timedOut: true } : {}); // closed between requests
        // RFC 9112 2.2: an empty line before a request (some clients send one after a body) is ignored, once.
        if (isBlank(bytes) && !this.blankSkipped) {
          this.blankSkipped = true;
          continue;
        }
        return this.#incoming(parseRequest(bytes));
      }
    } catch (error) {
      // Closed by --client-timeout inside a head: nothing to answer.
      if (this.clientTimedOut) return this.#result({ timedOut: true });
      if (error instanceof HttpError) return this.#refuse(error);
      throw error;
    }
  }

  /** A parsed request's framing and what goes on with it; throws an HttpError if it is refused. */
  #incoming(request) {
    checkRequest(request);
    const framing = requestFraming(request);
    const connection = request.tokens('connection');
    const clientKeeps = keepsAlive(request, connection);
    // RFC 9110 7.8: Upgrade is ignored in HTTP/1.0.
    const upgrading = request.version === '1.1' && connection.includes('upgrade') && request.has('upgrade');
    const expects = request.version === '1.1' && request.tokens('expect').includes('100-continue');
    let drop = hopByHop(connection, upgrading, 400);
    // Expect is answered here; a length said twice goes on as one fresh line (RFC 9110 8.6).
    if (expects) drop = [...drop, 'expect'];
    if (framing.repeated) drop = [...drop, 'content-length'];
    // The upstream hop's own Connection: its connection lives as long as the client's.
    const lines = ADD[request.version];
    let add = upgrading ? lines.upgrade : !clientKeeps ? lines.close : request.version === '1.0' ? lines.keepAlive : lines.keep;
    if (framing.repeated) add = [...add, headerLine(`content-length: ${framing.length}`)];
    return new Incoming(request, framing, clientKeeps, upgrading, expects, drop, add);
  }

  /** One request and its answer; resolves to the result to end with, or undefined to go on. */
  async #exchange(incoming) {
    if (this.upstream === undefined) {
      try {
        this.upstream = await this.openUpstream();
        this.upstreamServed = 0;
      } catch (error) {
        return this.#refuse(new HttpError(502, `upstream unreachable: ${error.message}`));
      }
    }
    // Expect: 100-continue is answered here (the body is forwarded either way), so no client waits for it.
    if (incoming.expects && incoming.framing.kind !== 'none') await writeBytes(this.client, CONTINUE);
    let answer;
    try {
      answer = await this.#ask(incoming);
    } catch (error) {
      if (this.timedOut) return this.#refuse(new HttpError(504, `the upstream did not answer within ${this.upstreamTimeout} ms`));
      if (error instanceof HttpError) return this.#refuse(error);
      return this.#refuse(new HttpError(502, `the upstream failed: ${error.message}`));
    } finally {
      this.upstreamWait.stop();
    }
    this.upstreamServed++;
    if (answer.response.status === 101) return this.#tunnel(incoming, answer);
    return this.#reply(incoming, answer);
  }

  /** The upstream's next head, or null if it is gone (a reset, EOF). */
  #readUpstreamHead() {
    return readHead(this.upstream, UPSTREAM_HEAD).catch((error) => {
      if (error instanceof HttpError) throw error;
      return null;
    });
  }

  /**
   * Sends the request (head, then its body), and reads the final answer's
   * head and, when short, its body. Throws an HttpError for what the client
   * is to be told instead.
   */
  async #ask(incoming) {
    const { request, framing } = incoming;
    // A short body is read whole and leaves with the head in one write; a long one is spliced after it.
    const sent = framing.kind === 'none' ? NO_BODY : await readSmallBody(framing, this.client, 400);
    const head = serializeHead(request, incoming.drop, incoming.add, sent);
    let outcome = await this.#send(head, sent, framing);
    // An upstream closes an idle keep-alive connection when it likes (its
    // keep-alive timeout): an idempotent request the gateway still holds
    // whole is sent once more on a new connection (RFC 9110 9.2.2).
    if (outcome.head === null && !this.timedOut && this.upstreamServed > 0 && sent !== undefined && IDEMPOTENT.has(request.method)) {
      const stale = this.upstream;
      this.upstream = await this.openUpstream();
      this.upstreamServed = 0;
      await stale.close();
      outcome = await this.#send(head, sent, framing);
    }
    let bytes = outcome.head;
    let response;
    // 1xx heads (but 101) come before the real one, all within the one deadline: passed on to an HTTP/1.1 client
    // (RFC 9110 15.2), but a 100 already answered here; a few only.
    for (let interim = 0; ; interim++) {
      if (this.timedOut) throw new HttpError(504, `the upstream did not answer within ${this.upstreamTimeout} ms`);
      if (bytes === null) throw new HttpError(502, outcome.requestCut ? 'the upstream stopped taking the request body' : 'the upstream closed before answering');
      response = parseResponse(bytes);
      if (response.status >= 200 || response.status === 101) break;
      if (interim === MAX_INTERIM) throw new HttpError(502, `more than ${MAX_INTERIM} interim answers`);
      if (request.version === '1.1' && !(incoming.expects && response.status === 100)) {
        await writeBytes(this.client, serializeHead(response, hopByHop(response.tokens('connection'), false, 502), ADD[response.version].keep, undefined, true));
      }
      bytes = await this.#readUpstreamHead();
    }
    this.upstreamWait.stop();
    // Upgrade stays in a 101, and in a 426, which must say what to upgrade to (RFC 9110 15.5.22).
    const connection = response.tokens('connection');
    let drop = hopByHop(connection, response.status === 101 || response.status === 426, 502);
    const down = responseFraming(response, request.method);
    // An HTTP/1.0 client cannot read chunks (RFC 9112 6.1), and the gateway does not re-frame bodies.
    if (down.kind === 'chunked' && request.version === '1.0') throw new HttpError(502, 'the upstream answered an HTTP/1.0 request in chunks');
    // Transfer-Encoding frames it: a Content-Length beside it is left out (RFC 9112 6.3), and one said twice goes on as one line;
    // read until close, neither goes on (an HTTP/1.0 response's Transfer-Encoding is faulty framing, 6.1).
    if (down.kind === 'chunked' || down.kind === 'until-close' || down.repeated) drop = [...drop, 'content-length'];
    if (down.faulty) drop = [...drop, 'transfer-encoding'];
    // Read before the head goes out: a short body cut by the upstream is still a clean 502.
    const body = await readSmallBody(down, this.upstream, 502);
    return new Answer(response, down, connection, drop, body, outcome.sent, outcome.requestCut);
  }

  /**
   * Sends the request head and its body (unless `sent`, already in the
   * head), then arms the upstream's deadline and reads the first head of the
   * answer: `{ head, sent, requestCut }`, `head` null if the upstream is gone.
   */
  async #send(head, sent, framing) {
    try {
      await writeBytes(this.upstream, head);
    } catch {
      return { head: null, sent: 0, requestCut: false }; // the upstream is gone
    }
    let bytes = sent?.byteLength ?? 0;
    let requestCut = false;
    if (sent === undefined) {
      // The deadline runs while the body does not move: a slow upload is not a stalled one.
      const body = (this.body = new BodyProgress());
      this.upstreamWait.start(body.moved);
      try {
        bytes = await forwardBody(framing, this.client, this.upstream, 400, body);
      } catch (error) {
        if (!(error instanceof BodyFailed)) throw error;
        // The upstream may have answered before it stopped reading (a 413); a client that failed reset the upstream, which then answers nothing.
        requestCut = true;
        bytes = body.moved();
      } finally {
        this.body = undefined;
      }
    }
    this.upstreamWait.start();
    return { head: await this.#readUpstreamHead(), sent: bytes, requestCut };
  }

  /** Switching protocols, as the client asked: from here on a tunnel, ended as one connection. */
  async #tunnel(incoming, answer) {
    // Unasked, a tunnel would carry the client's next requests past every check.
    if (!incoming.upgrading || !answer.response.has('upgrade')) return this.#refuse(new HttpError(502, 'the upstream switched protocols unasked'));
    await writeBytes(this.client, serializeHead(answer.response, answer.drop, ADD[answer.response.version].upgrade, undefined, true));
    const [up, back] = await spliceBidirectional(this.client, this.upstream, { linked: true }).done;
    this.requests++;
    this.forwarded += up.bytes + back.bytes;
    return this.#result({});
  }

  /** The answer to the client; resolves to the result to end with, or undefined to go on. */
  async #reply(incoming, answer) {
    const { request } = incoming;
    const { response, framing: down } = answer;
    // The client not keeping the connection, a body that ends with it, or a request body left unread: the client is told, then FIN.
    const closing = !incoming.clientKeeps || down.kind === 'until-close' || answer.requestCut;
    const lines = ADD[response.version];
    let add = closing ? lines.close : request.version === '1.0' ? lines.keepAlive : lines.keep;
    if (down.kind === 'length' && down.repeated) add = [...add, headerLine(`content-length: ${down.length}`)];
    await writeBytes(this.client, serializeHead(response, answer.drop, add, answer.body, true));
    let sentDown = answer.body?.byteLength;
    try {
      sentDown ??= await forwardBody(down, this.upstream, this.client, 502);
    } catch (error) {
      // The head is out: the only honest signal left is a reset (docs/contract.md#how-a-splice-ends), not a clean end.
      await this.client.writable.abort(error).catch(() => {});
      return this.#result({ status: 502 });
    }
    this.requests++;
    this.forwarded += answer.sent + sentDown;
    this.onRequest?.({ method: request.method, target: request.target, status: response.status, up: answer.sent, down: sentDown });
    if (closing) {
      // until-close ended with the splice's own FIN; otherwise send ours.
      if (down.kind !== 'until-close') await this.client.writable.close().catch(() => {});
      return this.#result({});
    }
    if (!keepsAlive(response, answer.connection)) {
      // The upstream ends its connection after this answer, the client keeps its own: the next request gets a new upstream connection.
      // Not awaited: close() waits for the upstream's FIN (up to its linger), which the client must not.
      void this.upstream.close();
      this.upstream = undefined;
    }
    return undefined;
  }
}
