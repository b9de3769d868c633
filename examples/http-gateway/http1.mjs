// Just enough HTTP/1.1 framing for a pass-through (RFC 9112): read a head,
// then move exactly the body the head announces. Heads are parsed in
// userspace; Content-Length bodies are spliced with `max`, which leaves
// every byte after the body in the socket for the next head.
import { spliceStreams } from '@sosplice/core';

const CRLF = new Uint8Array([13, 10]);
const CRLFCRLF = new Uint8Array([13, 10, 13, 10]);
const MAX_HEAD = 64 * 1024;
const latin1 = new TextDecoder('latin1');
const ascii = new TextEncoder();

/** A bad or unsupported message: the gateway closes the connection. */
export class HttpError extends Error {
  name = 'HttpError';
}

function indexOf(haystack, needle) {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * One direction of a connection, read by whoever needs it next: the head
 * parser through a short-lived reader (whatever it reads past the head is
 * kept in `#buffer`), a body through a splice.
 */
export class Inbound {
  #buffer = new Uint8Array(0);

  constructor(readable) {
    this.readable = readable;
  }

  /** Reads one more chunk into the buffer; false at EOF. */
  async #fill() {
    const reader = this.readable.getReader();
    try {
      const { value, done } = await reader.read();
      if (done) return false;
      const joined = new Uint8Array(this.#buffer.length + value.length);
      joined.set(this.#buffer);
      joined.set(value, this.#buffer.length);
      this.#buffer = joined;
      return true;
    } finally {
      reader.releaseLock();
    }
  }

  /** Bytes up to and including `delimiter`; null at EOF before any byte. */
  async readUntil(delimiter, limit = MAX_HEAD) {
    for (let from = 0; ; ) {
      const at = indexOf(this.#buffer.subarray(from), delimiter);
      if (at !== -1) return this.take(from + at + delimiter.length);
      from = Math.max(0, this.#buffer.length - delimiter.length + 1);
      if (this.#buffer.length > limit) throw new HttpError(`line or head longer than ${limit} bytes`);
      if (!(await this.#fill())) {
        if (this.#buffer.length === 0) return null;
        throw new HttpError('connection closed inside a head');
      }
    }
  }

  /** Up to `n` bytes already read, removed from the buffer. */
  take(n) {
    const out = this.#buffer.subarray(0, Math.min(n, this.#buffer.length));
    this.#buffer = this.#buffer.subarray(out.length);
    return out;
  }

  /** Gives bytes back (a splice's `remainder`, for sources that are not byte streams). */
  unshift(bytes) {
    if (bytes === undefined || bytes.length === 0) return;
    const joined = new Uint8Array(bytes.length + this.#buffer.length);
    joined.set(bytes);
    joined.set(this.#buffer, bytes.length);
    this.#buffer = joined;
  }
}

/** Parses a request or response head: start line and lowercased headers. */
export function parseHead(bytes) {
  const lines = latin1.decode(bytes).split('\r\n').slice(0, -2);
  const start = lines.shift() ?? '';
  const headers = new Map();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new HttpError(`bad header line: ${JSON.stringify(line)}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
  }
  return { start, headers, lines };
}

/** Serialises a head with one extra header line (the gateway's `via`). */
export function serializeHead(head, extra) {
  return ascii.encode(`${[head.start, ...head.lines, extra].join('\r\n')}\r\n\r\n`);
}

/** How the body after this head is framed (RFC 9112 section 6.3). */
export function bodyFraming(head, { isResponse = false, requestMethod } = {}) {
  if (isResponse) {
    const status = Number(head.start.split(' ')[1]);
    if (requestMethod === 'HEAD' || (status >= 100 && status < 200) || status === 204 || status === 304) return { kind: 'none' };
  }
  const te = head.headers.get('transfer-encoding');
  if (te !== undefined) {
    if (te.toLowerCase().split(',').at(-1).trim() !== 'chunked') throw new HttpError(`unsupported transfer-encoding: ${te}`);
    return { kind: 'chunked' };
  }
  const cl = head.headers.get('content-length');
  if (cl !== undefined) {
    if (!/^\d+$/.test(cl)) throw new HttpError(`bad content-length: ${cl}`);
    return { kind: 'length', length: Number(cl) };
  }
  return isResponse ? { kind: 'until-close' } : { kind: 'none' };
}

export async function write(writable, bytes) {
  if (bytes.length === 0) return;
  const writer = writable.getWriter();
  try {
    await writer.write(bytes);
  } finally {
    writer.releaseLock();
  }
}

/**
 * Moves exactly `length` body bytes from `from` to `to`: first what the head
 * parser already read, then a splice with `max` for the rest, so that the
 * next message's bytes stay unread in the source. Returns bytes spliced.
 */
export async function forwardExactly(from, to, length) {
  const early = from.take(length);
  await write(to, early);
  const rest = length - early.length;
  if (rest === 0) return 0;
  const { reason, bytes, error, remainder } = await spliceStreams(from.readable, to, { max: rest, preventClose: true }).done;
  from.unshift(remainder);
  if (reason !== 'max') throw new HttpError(`body ended after ${early.length + bytes} of ${length} bytes (${reason})`, { cause: error });
  return bytes;
}

/**
 * Forwards a chunked body as it is (sizes, extensions, trailers): the size
 * lines and trailers in a userspace loop, each chunk's data with
 * `forwardExactly`. Returns bytes spliced.
 */
export async function forwardChunked(from, to) {
  let spliced = 0;
  for (;;) {
    const line = await from.readUntil(CRLF, 4096);
    if (line === null) throw new HttpError('connection closed inside a chunked body');
    await write(to, line);
    const size = parseInt(latin1.decode(line), 16);
    if (Number.isNaN(size)) throw new HttpError('bad chunk size line');
    if (size === 0) break;
    spliced += await forwardExactly(from, to, size + 2); // data and its CRLF
  }
  // Trailers, up to the empty line.
  for (;;) {
    const line = await from.readUntil(CRLF, MAX_HEAD);
    if (line === null) throw new HttpError('connection closed inside trailers');
    await write(to, line);
    if (line.length === 2) return spliced;
  }
}

export { CRLFCRLF };
