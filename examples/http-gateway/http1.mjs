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
    // Latin-1, as heads are read: content-length counts characters, one byte each.
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
export function readHead(endpoint, statuses = CLIENT_HEAD) {
  return readUntil(endpoint, CRLFCRLF, HEAD_LIMIT).catch((error) => {
    if (error?.code === 'ERR_HEAD_INCOMPLETE') {
      if (error.bytesRead === 0) return null;
      throw new HttpError(statuses.bad, 'the connection ended inside a head', { cause: error });
    }
    if (error?.code === 'ERR_HEAD_TOO_LARGE') throw new HttpError(statuses.tooLarge, `head longer than ${MAX_HEAD} bytes`, { cause: error });
    throw error;
  });
}
const CLIENT_HEAD = { tooLarge: 431, bad: 400 };
const HEAD_LIMIT = { maxBytes: MAX_HEAD };

/** Bytes allowed in a header name (RFC 9110 5.6.2 tchar), and ASCII lower case, by byte. */
const TCHAR = new Uint8Array(256);
const LOWER = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  const c = String.fromCharCode(b);
  TCHAR[b] = /[!#$%&'*+.^_`|~0-9A-Za-z-]/.test(c) ? 1 : 0;
  LOWER[b] = b >= 65 && b <= 90 ? b + 32 : b;
}
const SP = 32;
const HTAB = 9;
const CR = 13;
const LF = 10;

/** Latin-1 text of `bytes[from, to)`: one char per byte. */
function text(bytes, from, to) {
  if (to - from > 64) return latin1.decode(bytes.subarray(from, to));
  let out = '';
  for (let i = from; i < to; i++) out += String.fromCharCode(bytes[i]);
  return out;
}

/**
 * A parsed head, kept as its bytes: the start line and, per header line,
 * where its name and value are (no string is made for a header nobody
 * asks for). Header names are matched without regard to case.
 */
class Head {
  /** @param {Uint8Array} bytes the whole head, empty line included @param {number} startEnd where the start line's CRLF is @param {number[]} fields five offsets per header line: name, colon, value, value end, CR */
  constructor(bytes, startEnd, fields) {
    this.bytes = bytes;
    this.startEnd = startEnd;
    this.fields = fields;
    // Set by parseRequest() / parseResponse(); every head has them all, so every head has one shape.
    /** '1.0' or '1.1' */
    this.version = '';
    /** A request's method. */
    this.method = '';
    this.targetStart = 0;
    this.targetEnd = 0;
    /** A response's status. */
    this.status = 0;
  }

  /** Whether header line `i` is named `name` (lower case). */
  named(i, name) {
    const { bytes, fields } = this;
    const at = fields[i * 5];
    if (fields[i * 5 + 1] - at !== name.length) return false;
    for (let k = 0; k < name.length; k++) if (LOWER[bytes[at + k]] !== name.charCodeAt(k)) return false;
    return true;
  }

  /** The value of header `name` (lower case); repeated lines joined with ", " (RFC 9110 5.3); undefined if absent. */
  get(name) {
    let value;
    for (let i = 0; i < this.fields.length / 5; i++) {
      if (!this.named(i, name)) continue;
      const v = text(this.bytes, this.fields[i * 5 + 2], this.fields[i * 5 + 3]);
      value = value === undefined ? v : `${value}, ${v}`;
    }
    return value;
  }

  has(name) {
    for (let i = 0; i < this.fields.length / 5; i++) if (this.named(i, name)) return true;
    return false;
  }

  /**
   * The comma-separated tokens of header `name` (Connection, Expect), lower
   * case, read from the bytes: the usual ones (`close`, `keep-alive`, ...)
   * are not even made into strings.
   */
  tokens(name) {
    let out = NO_TOKENS;
    const { bytes, fields } = this;
    for (let i = 0; i < fields.length / 5; i++) {
      if (!this.named(i, name)) continue;
      const end = fields[i * 5 + 3];
      for (let at = fields[i * 5 + 2]; at < end; ) {
        let to = at;
        while (to < end && bytes[to] !== COMMA) to++;
        let from = at;
        let last = to;
        while (from < last && (bytes[from] === SP || bytes[from] === HTAB)) from++;
        while (last > from && (bytes[last - 1] === SP || bytes[last - 1] === HTAB)) last--;
        if (last > from) {
          if (out === NO_TOKENS) out = [];
          out.push(tokenAt(bytes, from, last));
        }
        at = to + 1;
      }
    }
    return out;
  }

  /** A request's target, made into a string only when asked. */
  get target() {
    return text(this.bytes, this.targetStart, this.targetEnd);
  }
}

const NO_TOKENS = Object.freeze([]);
const COMMA = 44;
const KNOWN_TOKENS = ['close', 'keep-alive', 'upgrade', '100-continue'];

/** The token at `bytes[from, to)`, lower case. */
function tokenAt(bytes, from, to) {
  known: for (const token of KNOWN_TOKENS) {
    if (token.length !== to - from) continue;
    for (let k = 0; k < token.length; k++) if (LOWER[bytes[from + k]] !== token.charCodeAt(k)) continue known;
    return token;
  }
  let out = '';
  for (let i = from; i < to; i++) out += String.fromCharCode(LOWER[bytes[i]]);
  return out;
}

/**
 * Splits a head (ending in CRLF CRLF, as readHead() gives it) into its start
 * line and header lines, checking every byte that matters: names are tokens,
 * no folding, no space before the colon, no stray CR, LF or NUL (RFC 9112 5).
 */
function parseHeadBytes(bytes, status) {
  const end = bytes.length - 2; // the empty line's CRLF
  let startEnd = 0;
  while (bytes[startEnd] !== CR && bytes[startEnd] !== LF && bytes[startEnd] !== 0) startEnd++;
  if (bytes[startEnd] !== CR || bytes[startEnd + 1] !== LF) throw new HttpError(status, 'bad start line');
  const fields = [];
  for (let at = startEnd + 2; at < end; ) {
    let colon = at;
    while (TCHAR[bytes[colon]] === 1) colon++;
    if (colon === at || bytes[colon] !== 58) throw badLine(bytes, at, status);
    let cr = colon + 1;
    for (let b = bytes[cr]; b !== CR; b = bytes[++cr]) if (b === LF || b === 0) throw badLine(bytes, at, status);
    if (bytes[cr + 1] !== LF) throw badLine(bytes, at, status);
    let value = colon + 1;
    while (value < cr && (bytes[value] === SP || bytes[value] === HTAB)) value++;
    let valueEnd = cr;
    while (valueEnd > value && (bytes[valueEnd - 1] === SP || bytes[valueEnd - 1] === HTAB)) valueEnd--;
    fields.push(at, colon, value, valueEnd, cr);
    at = cr + 2;
  }
  return new Head(bytes, startEnd, fields);
}

function badLine(bytes, at, status) {
  let to = at;
  while (to < bytes.length && to - at < 80 && bytes[to] !== CR) to++;
  return new HttpError(status, `bad header line: ${JSON.stringify(text(bytes, at, to))}`);
}

const HTTP_1 = [72, 84, 84, 80, 47, 49, 46]; // "HTTP/1."

/** The version at `bytes[at]` ("HTTP/1.0" or "HTTP/1.1"): '1.0', '1.1', or undefined. */
function versionAt(bytes, at) {
  for (let k = 0; k < HTTP_1.length; k++) if (bytes[at + k] !== HTTP_1[k]) return undefined;
  const minor = bytes[at + 7];
  return minor === 48 ? '1.0' : minor === 49 ? '1.1' : undefined;
}

/** A method as a string: the common ones without making one. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT'];
function methodAt(bytes, to) {
  known: for (const method of METHODS) {
    if (method.length !== to) continue;
    for (let k = 0; k < to; k++) if (bytes[k] !== method.charCodeAt(k)) continue known;
    return method;
  }
  return text(bytes, 0, to);
}

/** A request head: `METHOD target HTTP/1.x` (target: visible bytes) and headers; 400 otherwise. */
export function parseRequest(bytes) {
  const head = parseHeadBytes(bytes, 400);
  const end = head.startEnd;
  let method = 0;
  while (TCHAR[bytes[method]] === 1) method++;
  let target = method + 1;
  while (bytes[target] > SP && bytes[target] !== 127) target++;
  const version = versionAt(bytes, target + 1);
  if (method === 0 || bytes[method] !== SP || target === method + 1 || bytes[target] !== SP || version === undefined || target + 9 !== end) {
    throw new HttpError(400, `bad request line: ${JSON.stringify(text(bytes, 0, Math.min(end, 80)))}`);
  }
  head.method = methodAt(bytes, method);
  head.targetStart = method + 1;
  head.targetEnd = target;
  head.version = version;
  return head;
}

const isDigit = (b) => b >= 48 && b <= 57;

/** A response head: `HTTP/1.x status reason` and headers; 502 otherwise (the upstream answered garbage). */
export function parseResponse(bytes) {
  const version = versionAt(bytes, 0);
  if (version === undefined) throw notHttp(bytes);
  const head = parseHeadBytes(bytes, 502);
  const end = head.startEnd;
  if (bytes[8] !== SP || !isDigit(bytes[9]) || !isDigit(bytes[10]) || !isDigit(bytes[11]) || (end !== 12 && bytes[12] !== SP)) throw notHttp(bytes);
  head.version = version;
  head.status = (bytes[9] - 48) * 100 + (bytes[10] - 48) * 10 + (bytes[11] - 48);
  return head;
}

function notHttp(bytes) {
  let to = 0;
  while (to < bytes.length && to < 80 && bytes[to] !== CR && bytes[to] !== LF) to++;
  return new HttpError(502, `the upstream answered something else than HTTP/1.x: ${JSON.stringify(text(bytes, 0, to))}`);
}

/** A header line to add with serializeHead(): its bytes, without the CRLF. */
export const headerLine = (line) => latin1Bytes(line);

/**
 * Serialises a head as the bytes it came in as, leaving out the header lines
 * named in `drop` (lower case) and adding the `add` lines (from
 * headerLine()), with `body` (if any) right after it in the same buffer (one write).
 */
export function serializeHead(head, drop, add, body = EMPTY) {
  const { bytes, fields } = head;
  const count = fields.length / 5;
  // Byte ranges to keep: the start line, then each kept header line with its CRLF.
  const keep = [0, head.startEnd + 2];
  lines: for (let i = 0; i < count; i++) {
    for (const name of drop) if (head.named(i, name)) continue lines;
    const from = fields[i * 5];
    const to = fields[i * 5 + 4] + 2;
    if (keep[keep.length - 1] === from) keep[keep.length - 1] = to;
    else keep.push(from, to);
  }
  let size = 2 + body.byteLength;
  for (let k = 0; k < keep.length; k += 2) size += keep[k + 1] - keep[k];
  for (const line of add) size += line.byteLength + 2;
  const out = allocate(size);
  let at = 0;
  for (let k = 0; k < keep.length; k += 2) {
    out.set(bytes.subarray(keep[k], keep[k + 1]), at);
    at += keep[k + 1] - keep[k];
  }
  for (const line of add) {
    out.set(line, at);
    out[at + line.byteLength] = CR;
    out[at + line.byteLength + 1] = LF;
    at += line.byteLength + 2;
  }
  out[at] = CR;
  out[at + 1] = LF;
  out.set(body, at + 2);
  return out;
}

/**
 * A buffer for one outgoing message, never reused: small ones are carved
 * from a shared slab (one allocation for many heads, as Node's Buffer pool
 * does), which lives until the last message cut from it is sent.
 */
const SLAB = 64 * 1024;
let slab = new ArrayBuffer(0);
let slabUsed = 0;
function allocate(size) {
  if (size > SLAB / 8) return new Uint8Array(size);
  if (slabUsed + size > slab.byteLength) {
    slab = new ArrayBuffer(SLAB);
    slabUsed = 0;
  }
  const out = new Uint8Array(slab, slabUsed, size);
  slabUsed += (size + 7) & ~7;
  return out;
}

function latin1Bytes(text) {
  const out = new Uint8Array(text.length);
  // ASCII (nearly every head) is the same in UTF-8: the engine's encoder; other bytes one by one.
  const { read, written } = ascii.encodeInto(text, out);
  if (read !== text.length || written !== text.length) for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

function contentLength(head, status) {
  const value = head.get('content-length');
  if (/^\d{1,15}$/.test(value)) return Number(value);
  const values = value.split(',').map((v) => v.trim());
  // "5, 5" is one length said twice (RFC 9110 8.6); anything else is ambiguous.
  if (!values.every((v) => /^\d{1,15}$/.test(v) && v === values[0])) throw new HttpError(status, `bad content-length: ${head.get('content-length')}`);
  return Number(values[0]);
}

/** How a request's body is framed (RFC 9112 6.3); ambiguous framing is a 400. */
export function requestFraming(head) {
  const te = head.get('transfer-encoding');
  if (te !== undefined) {
    // Both headers: a smuggling vector; RFC 9112 6.1 lets a server reject it, and a gateway must not pass it on.
    if (head.has('content-length')) throw new HttpError(400, 'both Content-Length and Transfer-Encoding');
    if (head.version === '1.0') throw new HttpError(400, 'Transfer-Encoding in an HTTP/1.0 request');
    if (te.toLowerCase().split(',').at(-1).trim() !== 'chunked') throw new HttpError(400, `chunked is not the final transfer coding: ${te}`);
    return { kind: 'chunked' };
  }
  if (head.has('content-length')) return { kind: 'length', length: contentLength(head, 400) };
  return { kind: 'none' };
}

/** How a response's body is framed (RFC 9112 6.3). */
export function responseFraming(head, requestMethod) {
  const { status } = head;
  if (requestMethod === 'HEAD' || (status >= 100 && status < 200) || status === 204 || status === 304) return { kind: 'none' };
  const te = head.get('transfer-encoding');
  if (te !== undefined) return te.toLowerCase().split(',').at(-1).trim() === 'chunked' ? { kind: 'chunked' } : { kind: 'until-close' };
  if (head.has('content-length')) return { kind: 'length', length: contentLength(head, 502) };
  return { kind: 'until-close' };
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
