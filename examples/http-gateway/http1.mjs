// Just enough HTTP/1.1 for a pass-through gateway (RFC 9112), strict where
// framing is at stake: heads are read with the core's readUntil() (bounded;
// the bytes read past a head go back into the socket) and parsed as bytes
// (./head.mjs); a short body is read whole (readExactly) and leaves with its
// head in one write (writeBytes), a longer one moves by splice with an exact
// `max`; either way the next message's bytes stay in the socket. A message
// whose framing is not certain is refused, never forwarded (request
// smuggling, RFC 9112 6.1, 11.2).
import { readExactly, readUntil, spliceStreams, writeBytes } from '@sosplice/core';
import { HttpError, isFieldLine, latin1Bytes, text } from './head.mjs';

const CRLF = new Uint8Array([13, 10]);
const CRLFCRLF = new Uint8Array([13, 10, 13, 10]);
export const MAX_HEAD = 64 * 1024;
/**
 * Bodies up to this size (a known Content-Length, or a chunk of a chunked
 * body) are copied: read whole and written with what goes before them, one
 * write. Starting a splice per small body costs more than the copy (a
 * splice's setup, its locks, one more write); above this, splicing wins.
 */
export const SMALL_BODY = 16 * 1024;
const MAX_LINE = 4096;
const EMPTY = new Uint8Array(0);

const REASONS = {
  400: 'Bad Request',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  504: 'Gateway Timeout',
};

/**
 * A spliced body that failed on either side (a reset, a write the drain
 * refused), as opposed to a sender that ended it early: towards the upstream,
 * the upstream may have stopped taking it and answered already.
 */
export class BodyFailed extends HttpError {
  name = 'BodyFailed';
  constructor(bytes, length, options) {
    super(502, `the body failed after ${bytes}${length === undefined ? '' : ` of ${length}`} bytes`, options);
    this.bytes = bytes;
  }
}

/** A whole short response for an error, then FIN: the connection ends after it. */
export async function respondError(endpoint, status, message) {
  const body = `${status} ${REASONS[status] ?? ''}: ${message}\n`;
  const head = `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`;
  try {
    // Latin-1, as heads are read: content-length counts characters, one byte each.
    await writeBytes(endpoint, latin1Bytes(head + body));
    await endpoint.writable.close();
  } catch {
    // The client is gone already.
  }
}

const CLIENT_HEAD = { tooLarge: 431, bad: 400 };

/**
 * Reads one head (up to the empty line), bounded by MAX_HEAD. Resolves to
 * null when the peer closed cleanly before sending a byte (between messages).
 * `tooLarge` is the status for an oversized head (431 from a client, 502
 * from an upstream); any other incomplete head is a 400 (or `bad`).
 * `signal`: rejects with its reason once it aborts.
 */
export function readHead(endpoint, statuses = CLIENT_HEAD, signal = undefined) {
  return readUntil(endpoint, CRLFCRLF, { maxBytes: MAX_HEAD, signal }).catch((error) => {
    if (error?.code === 'ERR_HEAD_INCOMPLETE') {
      if (error.bytesRead === 0) return null;
      throw new HttpError(statuses.bad, 'the connection ended inside a head', { cause: error });
    }
    if (error?.code === 'ERR_HEAD_TOO_LARGE') throw new HttpError(statuses.tooLarge, `head longer than ${MAX_HEAD} bytes`, { cause: error });
    throw error;
  });
}

/**
 * The length a message's Content-Length says: every line and list element
 * of it must be the same `1*DIGIT` (RFC 9110 8.6: "5, 5" is one length said
 * twice); anything else is refused with `status`. `repeated`: said more than
 * once, so it is forwarded as one fresh line (8.6 lets a recipient do that).
 */
function contentLength(head, status) {
  const values = head.tokens('content-length');
  if (values.length === 0 || !values.every((v) => /^\d{1,15}$/.test(v) && v === values[0])) {
    throw new HttpError(status, `bad content-length: ${JSON.stringify(head.get('content-length'))}`);
  }
  return { kind: 'length', length: Number(values[0]), repeated: values.length > 1 };
}

/** Whether Transfer-Encoding ends with chunked, said once (RFC 9112 6.1: never applied twice). */
function chunkedLast(codings) {
  return codings.at(-1) === 'chunked' && codings.indexOf('chunked') === codings.length - 1;
}

/** How a request's body is framed (RFC 9112 6.3); ambiguous framing is a 400. */
export function requestFraming(head) {
  if (head.has('transfer-encoding')) {
    // Both headers: a smuggling vector; RFC 9112 6.1 lets a server reject it, and a gateway must not pass it on.
    if (head.has('content-length')) throw new HttpError(400, 'both Content-Length and Transfer-Encoding');
    if (head.version === '1.0') throw new HttpError(400, 'Transfer-Encoding in an HTTP/1.0 request');
    if (!chunkedLast(head.tokens('transfer-encoding'))) throw new HttpError(400, `chunked is not the final transfer coding, once: ${JSON.stringify(head.get('transfer-encoding'))}`);
    return CHUNKED;
  }
  if (head.has('content-length')) return contentLength(head, 400);
  return NONE;
}

const NONE = { kind: 'none' };
const CHUNKED = { kind: 'chunked' };
const UNTIL_CLOSE = { kind: 'until-close' };
const FAULTY = { kind: 'until-close', faulty: true };

/**
 * How a response's body is framed (RFC 9112 6.3). Transfer-Encoding wins over
 * Content-Length (which the gateway then leaves out); in an HTTP/1.0
 * response it is faulty framing: read until the upstream closes (6.1).
 */
export function responseFraming(head, requestMethod) {
  const { status } = head;
  if (requestMethod === 'HEAD' || (status >= 100 && status < 200) || status === 204 || status === 304) return NONE;
  if (head.has('transfer-encoding')) {
    const codings = head.tokens('transfer-encoding');
    // HTTP/1.0 with Transfer-Encoding is faulty framing (RFC 9112 6.1): read until close, and the gateway leaves the header out, so the client frames it the same way.
    if (head.version === '1.0') return FAULTY;
    if (codings.at(-1) !== 'chunked') return UNTIL_CLOSE;
    if (!chunkedLast(codings)) throw new HttpError(502, 'the upstream applied chunked twice');
    return CHUNKED;
  }
  if (head.has('content-length')) return contentLength(head, 502);
  return UNTIL_CLOSE;
}

/**
 * A body short enough to copy (see SMALL_BODY), read whole: empty when there
 * is none, `undefined` when it is to be spliced. The bytes after it stay in
 * the source. `status` is the answer if the sender ends it early.
 */
export function readSmallBody(framing, from, status) {
  if (framing.kind === 'none') return EMPTY;
  if (framing.kind !== 'length' || framing.length > SMALL_BODY) return undefined;
  return readBytes(from, framing.length, status);
}

function readBytes(from, length, status) {
  return readExactly(from, length).catch((error) => {
    if (error?.code === 'ERR_BODY_INCOMPLETE') throw new HttpError(status, `body ended after ${error.bytesRead} of ${length} bytes`, { cause: error });
    throw error;
  });
}

/**
 * How far a body moved, live, for a deadline that expires only when it
 * stops moving: `bytes` done, plus the running splice's own count, which
 * `stop()` ends (the bytes still unsent stay in the source).
 */
export class BodyProgress {
  bytes = 0;
  /** @type {import('@sosplice/core').Splice | undefined} */
  splice = undefined;
  /** Bytes moved so far. */
  moved = () => this.bytes + (this.splice?.bytes ?? 0);
  /** Ends the running splice, if any: the body's forwarding fails with a `BodyFailed`. */
  stop() {
    void this.splice?.unsplice();
  }
}

/**
 * Moves exactly `length` bytes by splice; the bytes after them stay in the
 * source. Returns the count. The sender ending first is its fault
 * (`status`); a failure or an unsplice (`progress.stop()`) is a
 * `BodyFailed`. `preventCancel`: a drain that fails leaves the source as it
 * is, so the client is not reset and can still be answered; a source that
 * fails resets the drain (a reset travels).
 */
async function forwardExactly(from, to, length, status, progress) {
  if (length === 0) return 0;
  const splice = spliceStreams(from.readable, to.writable, { max: length, preventClose: true, preventCancel: true });
  if (progress !== undefined) progress.splice = splice;
  const { reason, bytes, error } = await splice.done;
  if (progress !== undefined) {
    progress.splice = undefined;
    progress.bytes += bytes;
  }
  if (reason === 'max') return bytes;
  if (reason === 'error' || reason === 'unsplice') throw new BodyFailed(bytes, length, { cause: error });
  throw new HttpError(status, `body ended after ${bytes} of ${length} bytes (${reason})`, { cause: error });
}

/** Writes to the side a body goes to: its failure is the drain's, a `BodyFailed`, not the sender's misframing. */
async function send(to, bytes, progress) {
  try {
    await writeBytes(to, bytes);
  } catch (error) {
    throw new BodyFailed(progress?.bytes ?? 0, undefined, { cause: error });
  }
  if (progress !== undefined) progress.bytes += bytes.byteLength;
}

async function readLine(from, status, maxBytes = MAX_LINE) {
  try {
    return await readUntil(from, CRLF, { maxBytes });
  } catch (error) {
    throw new HttpError(status, 'bad or unfinished line in a chunked body', { cause: error });
  }
}

/** A chunk size line (RFC 9112 7.1): hex size, then extensions of tokens or quoted strings. */
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const QUOTED = '"(?:[\\t !#-\\[\\]-~\\x80-\\xff]|\\\\[\\t -~\\x80-\\xff])*"';
const CHUNK_LINE = new RegExp(`^([0-9A-Fa-f]{1,13})(?:[ \\t]*;[ \\t]*${TOKEN}(?:[ \\t]*=[ \\t]*(?:${TOKEN}|${QUOTED}))?)*\\r\\n$`);

/**
 * Forwards a chunked body, checking its framing as it goes: each size line
 * (hex, well-formed extensions), the chunk's data (copied with its size line
 * and CRLF in one write when short, spliced otherwise), the CRLF after it,
 * then the trailers, each a well-formed field line, up to the empty line.
 * Anything else is refused with `status`, before it reaches the other side.
 * Returns the data bytes.
 */
export async function forwardChunked(from, to, status, progress) {
  let forwarded = 0;
  for (;;) {
    const line = await readLine(from, status);
    const m = CHUNK_LINE.exec(text(line));
    if (m === null) throw new HttpError(status, 'bad chunk size line');
    const size = parseInt(m[1], 16);
    if (size === 0) {
      await send(to, line, progress);
      break;
    }
    if (size <= SMALL_BODY) {
      const data = await readBytes(from, size, status);
      await send(to, join(line, data, await chunkEnd(from, status)), progress);
    } else {
      await send(to, line, progress);
      await forwardExactly(from, to, size, status, progress);
      await send(to, await chunkEnd(from, status), progress);
    }
    forwarded += size;
  }
  for (let total = 0; ; ) {
    const line = await readLine(from, status);
    total += line.length;
    if (total > MAX_HEAD) throw new HttpError(status, 'trailers too large');
    // A trailer is a field line like a header (a line that is not one could end the message early for a lax reader).
    if (line.length > 2 && !isFieldLine(line, 0, line.length - 2)) throw new HttpError(status, 'bad trailer line');
    await send(to, line, progress);
    if (line.length === 2) return forwarded;
  }
}

/** The CRLF after a chunk's data. */
async function chunkEnd(from, status) {
  const end = await readLine(from, status, 2);
  if (end.length !== 2) throw new HttpError(status, 'chunk data not followed by CRLF');
  return end;
}

function join(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/**
 * Forwards one body as `framing` says; returns its bytes. `status` is the
 * answer if the sender misframes it; `progress` (a BodyProgress) follows it.
 */
export async function forwardBody(framing, from, to, status, progress = undefined) {
  if (framing.kind === 'length') return forwardExactly(from, to, framing.length, status, progress);
  if (framing.kind === 'chunked') return forwardChunked(from, to, status, progress);
  if (framing.kind === 'until-close') {
    // The body ends with the connection: splice to EOF, which sends our FIN too.
    const { reason, bytes, error } = await spliceStreams(from.readable, to.writable).done;
    if (reason !== 'eof') throw new HttpError(status, `body cut (${reason})`, { cause: error });
    return bytes;
  }
  return 0;
}
