// Just enough HTTP/1.1 for a pass-through gateway (RFC 9112), strict where
// framing is at stake: heads are read with the core's readUntil() (bounded;
// the bytes read past a head go back into the socket), parsed and checked;
// a short body is read whole (readExactly) and leaves with its head in one
// write (writeBytes), a longer one moves by splice with an exact `max`; either way the
// next message's bytes stay in the socket. A message whose framing is not
// certain is refused, never forwarded (request smuggling, RFC 9112 6.1, 11.2).
import { readExactly, readUntil, spliceStreams, writeBytes } from '@sosplice/core';

export const CRLF = new Uint8Array([13, 10]);
export const CRLFCRLF = new Uint8Array([13, 10, 13, 10]);
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
const latin1 = new TextDecoder('latin1');
const ascii = new TextEncoder();
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const REASONS = { 400: 'Bad Request', 431: 'Request Header Fields Too Large', 500: 'Internal Server Error', 502: 'Bad Gateway' };

/** A message the gateway refuses: `status` is what the client is told (when it still can be). */
export class HttpError extends Error {
  name = 'HttpError';
  constructor(status, message, options) {
    super(message, options);
    this.status = status;
  }
}

/** A whole short response for an error, then FIN: the connection ends after it. */
export async function respondError(endpoint, status, message) {
  const body = `${status} ${REASONS[status] ?? ''}: ${message}\n`;
  const head = `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`;
  try {
    // Latin-1, as the head was read: content-length counts characters, one byte each.
    await writeBytes(endpoint, latin1Bytes(head + body));
    await endpoint.writable.close();
  } catch {
    // The client is gone already.
  }
}

/**
 * Reads one head (up to the empty line), bounded by MAX_HEAD. Resolves to
 * null when the peer closed cleanly before sending a byte (between messages).
 * `tooLarge` is the status for an oversized head (431 from a client, 502
 * from an upstream); any other incomplete head is a 400 (or `bad`).
 */
export async function readHead(endpoint, { tooLarge = 431, bad = 400 } = {}) {
  try {
    return await readUntil(endpoint, CRLFCRLF, { maxBytes: MAX_HEAD });
  } catch (error) {
    if (error?.code === 'ERR_HEAD_INCOMPLETE') {
      if (error.bytesRead === 0) return null;
      throw new HttpError(bad, 'the connection ended inside a head', { cause: error });
    }
    if (error?.code === 'ERR_HEAD_TOO_LARGE') throw new HttpError(tooLarge, `head longer than ${MAX_HEAD} bytes`, { cause: error });
    throw error;
  }
}

/** Header lines: `name: value`, names are tokens, no folding, no stray CR/LF/NUL (RFC 9112 5). */
function parseLines(lines, status) {
  const headers = new Map();
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon);
    if (colon <= 0 || !TOKEN.test(name) || /[\0\r\n]/.test(line)) throw new HttpError(status, `bad header line: ${JSON.stringify(line.slice(0, 80))}`);
    const key = name.toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers.set(key, headers.has(key) ? `${headers.get(key)}, ${value}` : value);
  }
  return headers;
}

function splitHead(bytes) {
  const lines = latin1.decode(bytes).split('\r\n').slice(0, -2);
  return { start: lines.shift() ?? '', lines };
}

/** A request head: `METHOD target HTTP/1.x` and headers; 400 otherwise. */
export function parseRequest(bytes) {
  const { start, lines } = splitHead(bytes);
  const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([^\s]+) HTTP\/(1\.[01])$/.exec(start);
  if (m === null) throw new HttpError(400, `bad request line: ${JSON.stringify(start.slice(0, 80))}`);
  return { start, lines, method: m[1], version: m[3], headers: parseLines(lines, 400) };
}

/** A response head: `HTTP/1.x status reason` and headers; 502 otherwise (the upstream answered garbage). */
export function parseResponse(bytes) {
  const { start, lines } = splitHead(bytes);
  const m = /^HTTP\/(1\.[01]) (\d{3})(?: [^\r\n]*)?$/.exec(start);
  if (m === null) throw new HttpError(502, `the upstream answered something else than HTTP/1.x: ${JSON.stringify(start.slice(0, 80))}`);
  return { start, lines, version: m[1], status: Number(m[2]), headers: parseLines(lines, 502) };
}

/** Whether a comma-separated header (Connection, Expect) lists `token`. */
export const hasToken = (head, name, token) => (head.headers.get(name) ?? '').toLowerCase().split(',').some((t) => t.trim() === token);

/**
 * Serialises a head, leaving out the `drop` headers and adding the `add`
 * lines, with `body` right after it in the same buffer (one write). Latin-1
 * back to bytes, so a header's bytes go out as they came in.
 */
export function serializeHead(head, { drop = [], add = [], body = EMPTY } = {}) {
  const kept = drop.length === 0 ? head.lines : head.lines.filter((l) => !drop.includes(l.slice(0, l.indexOf(':')).toLowerCase()));
  return latin1Bytes(`${[head.start, ...kept, ...add].join('\r\n')}\r\n\r\n`, body);
}

function latin1Bytes(text, after = EMPTY) {
  const out = new Uint8Array(text.length + after.byteLength);
  // ASCII (nearly every head) is the same in UTF-8: the engine's encoder; other bytes one by one.
  const { read, written } = ascii.encodeInto(text, out);
  if (read !== text.length || written !== text.length) for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  out.set(after, text.length);
  return out;
}

function contentLength(head, status) {
  const values = head.headers.get('content-length').split(',').map((v) => v.trim());
  // "5, 5" is one length said twice (RFC 9110 8.6); anything else is ambiguous.
  if (!values.every((v) => /^\d{1,15}$/.test(v) && v === values[0])) throw new HttpError(status, `bad content-length: ${head.headers.get('content-length')}`);
  return Number(values[0]);
}

/** How a request's body is framed (RFC 9112 6.3); ambiguous framing is a 400. */
export function requestFraming(head) {
  const te = head.headers.get('transfer-encoding');
  if (te !== undefined) {
    // Both headers: a smuggling vector; RFC 9112 6.1 lets a server reject it, and a gateway must not pass it on.
    if (head.headers.has('content-length')) throw new HttpError(400, 'both Content-Length and Transfer-Encoding');
    if (head.version === '1.0') throw new HttpError(400, 'Transfer-Encoding in an HTTP/1.0 request');
    if (te.toLowerCase().split(',').at(-1).trim() !== 'chunked') throw new HttpError(400, `chunked is not the final transfer coding: ${te}`);
    return { kind: 'chunked' };
  }
  if (head.headers.has('content-length')) return { kind: 'length', length: contentLength(head, 400) };
  return { kind: 'none' };
}

/** How a response's body is framed (RFC 9112 6.3). */
export function responseFraming(head, requestMethod) {
  const { status } = head;
  if (requestMethod === 'HEAD' || (status >= 100 && status < 200) || status === 204 || status === 304) return { kind: 'none' };
  const te = head.headers.get('transfer-encoding');
  if (te !== undefined) return te.toLowerCase().split(',').at(-1).trim() === 'chunked' ? { kind: 'chunked' } : { kind: 'until-close' };
  if (head.headers.has('content-length')) return { kind: 'length', length: contentLength(head, 502) };
  return { kind: 'until-close' };
}

/**
 * A body short enough to copy (see SMALL_BODY), read whole: empty when there
 * is none, `undefined` when it is to be spliced. The bytes after it stay in
 * the source. `status` is the answer if the sender ends it early.
 */
export async function readSmallBody(framing, from, status) {
  if (framing.kind === 'none') return EMPTY;
  if (framing.kind !== 'length' || framing.length > SMALL_BODY) return undefined;
  return readBytes(from, framing.length, status);
}

async function readBytes(from, length, status) {
  try {
    return await readExactly(from, length);
  } catch (error) {
    if (error?.code === 'ERR_BODY_INCOMPLETE') throw new HttpError(status, `body ended after ${error.bytesRead} of ${length} bytes`, { cause: error });
    throw error;
  }
}

/** Moves exactly `length` bytes by splice; the bytes after them stay in the source. Returns the count. */
export async function forwardExactly(from, to, length, status) {
  if (length === 0) return 0;
  const { reason, bytes, error } = await spliceStreams(from.readable, to.writable, { max: length, preventClose: true }).done;
  if (reason !== 'max') throw new HttpError(status, `body ended after ${bytes} of ${length} bytes (${reason})`, { cause: error });
  return bytes;
}

async function readLine(from, status, maxBytes = MAX_LINE) {
  try {
    return await readUntil(from, CRLF, { maxBytes });
  } catch (error) {
    throw new HttpError(status, 'bad or unfinished line in a chunked body', { cause: error });
  }
}

/**
 * Forwards a chunked body, checking its framing as it goes: each size line
 * (hex, optional extensions), the chunk's data (copied with its size line
 * and CRLF in one write when short, spliced otherwise), the CRLF after it,
 * then the trailers up to the empty line. Anything else is refused with
 * `status`, before it reaches the other side. Returns the data bytes.
 */
export async function forwardChunked(from, to, status) {
  let forwarded = 0;
  for (;;) {
    const line = await readLine(from, status);
    const m = /^([0-9A-Fa-f]{1,13})(?:[ \t]*;[^\r\n]*)?\r\n$/.exec(latin1.decode(line));
    if (m === null) throw new HttpError(status, 'bad chunk size line');
    const size = parseInt(m[1], 16);
    if (size === 0) {
      await writeBytes(to, line);
      break;
    }
    if (size <= SMALL_BODY) {
      const data = await readBytes(from, size, status);
      await writeBytes(to, join(line, data, await chunkEnd(from, status)));
    } else {
      await writeBytes(to, line);
      await forwardExactly(from, to, size, status);
      await writeBytes(to, await chunkEnd(from, status));
    }
    forwarded += size;
  }
  for (let total = 0; ; ) {
    const line = await readLine(from, status);
    total += line.length;
    if (total > MAX_HEAD) throw new HttpError(status, 'trailers too large');
    await writeBytes(to, line);
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

/** Forwards one body as `framing` says; returns its bytes. `status` is the answer if the sender misframes it. */
export async function forwardBody(framing, from, to, status) {
  if (framing.kind === 'length') return forwardExactly(from, to, framing.length, status);
  if (framing.kind === 'chunked') return forwardChunked(from, to, status);
  if (framing.kind === 'until-close') {
    // The body ends with the connection: splice to EOF, which sends our FIN too.
    const { reason, bytes, error } = await spliceStreams(from.readable, to.writable).done;
    if (reason !== 'eof') throw new HttpError(status, `body cut (${reason})`, { cause: error });
    return bytes;
  }
  return 0;
}
