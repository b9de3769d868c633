// One client connection of the gateway: requests are read one after the
// other from the same socket and sent on one upstream connection; each
// response comes back before the next request is read (no pipelining
// upstream, but a client's pipelined bytes wait safely in its socket).
import { spliceStreams } from '@sosplice/core';
import { CRLFCRLF, HttpError, Inbound, bodyFraming, forwardChunked, forwardExactly, parseHead, serializeHead, write } from './http1.mjs';

const VIA = 'via: 1.1 sosplice-gateway';

/** Forwards one body as its head frames it; returns bytes spliced (not copied). */
async function forwardBody(framing, from, to) {
  if (framing.kind === 'length') return forwardExactly(from, to, framing.length);
  if (framing.kind === 'chunked') return forwardChunked(from, to);
  if (framing.kind === 'until-close') {
    // The body ends with the connection: splice to EOF, which sends our FIN too.
    await write(to, from.take(Infinity));
    const { bytes } = await spliceStreams(from.readable, to).done;
    return bytes;
  }
  return 0;
}

const wantsClose = (head) => /(^|,)\s*close\s*(,|$)/i.test(head.headers.get('connection') ?? '');

/**
 * Serves `client` until it closes or asks to: each request goes to
 * `upstream` with a `via` header, each response back the same way.
 * Resolves to `{ requests, spliced }` for the log.
 */
export async function serveConnection(client, upstream, onRequest = () => {}) {
  const fromClient = new Inbound(client.readable);
  const fromUpstream = new Inbound(upstream.readable);
  let requests = 0;
  let spliced = 0;
  for (;;) {
    const requestBytes = await fromClient.readUntil(CRLFCRLF);
    if (requestBytes === null) return { requests, spliced }; // client closed between requests
    const request = parseHead(requestBytes);
    const method = request.start.split(' ')[0];
    await write(upstream.writable, serializeHead(request, VIA));
    const sentUp = await forwardBody(bodyFraming(request), fromClient, upstream.writable);

    // 1xx heads (100 Continue) come before the real one.
    let response;
    do {
      const responseBytes = await fromUpstream.readUntil(CRLFCRLF);
      if (responseBytes === null) throw new HttpError('upstream closed before responding');
      response = parseHead(responseBytes);
      await write(client.writable, serializeHead(response, VIA));
    } while (/^HTTP\/1\.1 1\d\d /.test(response.start) && !response.start.startsWith('HTTP/1.1 101'));
    const framing = bodyFraming(response, { isResponse: true, requestMethod: method });
    const sentDown = await forwardBody(framing, fromUpstream, client.writable);

    requests++;
    spliced += sentUp + sentDown;
    onRequest(`${request.start.split(' ').slice(0, 2).join(' ')} → ${response.start.split(' ')[1]}, body spliced ${sentUp} B up, ${sentDown} B down`);
    if (framing.kind === 'until-close' || wantsClose(request) || wantsClose(response)) return { requests, spliced };
  }
}
