// HTTP/1.1 heads as bytes (RFC 9112 2-5): parsed where they lie, checked
// byte by byte where framing is at stake, and serialised back as the bytes
// they came in as, less the lines left out, plus the lines added. No string
// is made for a header nobody asks about.

/** A message the gateway refuses: `status` is what the client is told (when it still can be). */
export class HttpError extends Error {
  name = 'HttpError';
  constructor(status, message, options) {
    super(message, options);
    this.status = status;
  }
}

/** Bytes allowed in a header name (RFC 9110 5.6.2 tchar), and ASCII lower case, by byte. */
const TCHAR = new Uint8Array(256);
const LOWER = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  TCHAR[b] = /[!#$%&'*+.^_`|~0-9A-Za-z-]/.test(String.fromCharCode(b)) ? 1 : 0;
  LOWER[b] = b >= 65 && b <= 90 ? b + 32 : b;
}
const SP = 32;
const HTAB = 9;
const CR = 13;
const LF = 10;
const COLON = 58;
const COMMA = 44;
const DEL = 127;
const EMPTY = new Uint8Array(0);
const NONE = Object.freeze([]);

/** A control byte, which no field value may hold but HTAB (RFC 9110 5.5). */
const isControl = (b) => (b < SP && b !== HTAB) || b === DEL;
const isDigit = (b) => b >= 48 && b <= 57;

/** Latin-1 text of `bytes[from, to)`: one char per byte (TextDecoder's 'latin1' is windows-1252). */
export function text(bytes, from = 0, to = bytes.length) {
  let out = '';
  for (let at = from; at < to; at += 4096) out += String.fromCharCode.apply(null, bytes.subarray(at, Math.min(to, at + 4096)));
  return out;
}

/** Text to bytes, one byte per char (Latin-1): how heads are read, so what is written is what was read. */
export function latin1Bytes(line) {
  const out = new Uint8Array(line.length);
  for (let i = 0; i < line.length; i++) out[i] = line.charCodeAt(i);
  return out;
}

/** A header line to add with serializeHead(): its bytes, without the CRLF. */
export const headerLine = latin1Bytes;

/**
 * Whether `bytes[from, to)` is one field line `name: value` (a token, a
 * colon, no control byte but HTAB): the check of a header line, and of a
 * trailer line in a chunked body.
 */
export function isFieldLine(bytes, from, to) {
  let colon = from;
  while (colon < to && TCHAR[bytes[colon]] === 1) colon++;
  if (colon === from || bytes[colon] !== COLON) return false;
  for (let at = colon + 1; at < to; at++) if (isControl(bytes[at])) return false;
  return true;
}

/**
 * A parsed head, kept as its bytes: where the start line is and, per header
 * line, where its name and value are. Header names are matched without
 * regard to case.
 */
class Head {
  /**
   * @param {Uint8Array} bytes the whole head, empty line included
   * @param {number} startAt where the start line begins (after empty lines a client may send first)
   * @param {number} startEnd where the start line's CRLF is
   * @param {number[]} fields five offsets per header line: name, colon, value, value end, CR
   */
  constructor(bytes, startAt, startEnd, fields) {
    this.bytes = bytes;
    this.startAt = startAt;
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

  /** How many lines are named `name`. */
  count(name) {
    let n = 0;
    for (let i = 0; i < this.fields.length / 5; i++) if (this.named(i, name)) n++;
    return n;
  }

  has(name) {
    for (let i = 0; i < this.fields.length / 5; i++) if (this.named(i, name)) return true;
    return false;
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

  /**
   * The elements of the comma-separated list `name` (Connection, Expect,
   * Transfer-Encoding, Content-Length), over every line of that name, with
   * SP and HTAB trimmed (and nothing else: RFC 9110 5.6.1), lower case. The
   * usual tokens are not even made into strings.
   */
  tokens(name) {
    let out = NONE;
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
          if (out === NONE) out = [];
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

const KNOWN_TOKENS = ['close', 'keep-alive', 'upgrade', '100-continue', 'chunked'];

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
 * line, from `startAt`, and header lines, checking every byte that matters:
 * names are tokens, no folding, no space before the colon, no control byte
 * in a value but HTAB, no stray CR or LF (RFC 9112 5).
 */
function parseHeadBytes(bytes, status, startAt) {
  const end = bytes.length - 2; // the empty line's CRLF
  let startEnd = startAt;
  while (bytes[startEnd] !== CR && bytes[startEnd] !== LF && bytes[startEnd] !== 0) startEnd++;
  if (bytes[startEnd] !== CR || bytes[startEnd + 1] !== LF) throw new HttpError(status, 'bad start line');
  const fields = [];
  for (let at = startEnd + 2; at < end; ) {
    let colon = at;
    while (TCHAR[bytes[colon]] === 1) colon++;
    if (colon === at || bytes[colon] !== COLON) throw badLine(bytes, at, status);
    let cr = colon + 1;
    for (let b = bytes[cr]; b !== CR; b = bytes[++cr]) if (isControl(b)) throw badLine(bytes, at, status);
    if (bytes[cr + 1] !== LF) throw badLine(bytes, at, status);
    let value = colon + 1;
    while (value < cr && (bytes[value] === SP || bytes[value] === HTAB)) value++;
    let valueEnd = cr;
    while (valueEnd > value && (bytes[valueEnd - 1] === SP || bytes[valueEnd - 1] === HTAB)) valueEnd--;
    fields.push(at, colon, value, valueEnd, cr);
    at = cr + 2;
  }
  return new Head(bytes, startAt, startEnd, fields);
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
function methodAt(bytes, from, to) {
  known: for (const method of METHODS) {
    if (method.length !== to - from) continue;
    for (let k = 0; k < method.length; k++) if (bytes[from + k] !== method.charCodeAt(k)) continue known;
    return method;
  }
  return text(bytes, from, to);
}

/** Whether `bytes` is only empty lines (what some clients send between requests). */
export function isBlank(bytes) {
  for (let at = 0; at < bytes.length; at += 2) if (bytes[at] !== CR || bytes[at + 1] !== LF) return false;
  return true;
}

/**
 * A request head: `METHOD target HTTP/1.x` (target: visible bytes) and
 * headers; 400 otherwise. Empty lines before the request line are skipped
 * (RFC 9112 2.2: old clients send a CRLF after a body).
 */
export function parseRequest(bytes) {
  let startAt = 0;
  while (bytes[startAt] === CR && bytes[startAt + 1] === LF && startAt < bytes.length - 4) startAt += 2;
  const head = parseHeadBytes(bytes, 400, startAt);
  const end = head.startEnd;
  let method = startAt;
  while (TCHAR[bytes[method]] === 1) method++;
  let target = method + 1;
  while (bytes[target] > SP && bytes[target] < DEL) target++; // visible ASCII only (RFC 9112 3.2)
  const version = versionAt(bytes, target + 1);
  if (method === startAt || bytes[method] !== SP || target === method + 1 || bytes[target] !== SP || version === undefined || target + 9 !== end) {
    throw new HttpError(400, `bad request line: ${JSON.stringify(text(bytes, startAt, Math.min(end, startAt + 80)))}`);
  }
  head.method = methodAt(bytes, startAt, method);
  head.targetStart = method + 1;
  head.targetEnd = target;
  head.version = version;
  return head;
}

/** A response head: `HTTP/1.x status reason` (status 100-599) and headers; 502 otherwise (the upstream answered garbage). */
export function parseResponse(bytes) {
  const version = versionAt(bytes, 0);
  if (version === undefined) throw notHttp(bytes);
  const head = parseHeadBytes(bytes, 502, 0);
  const end = head.startEnd;
  if (bytes[8] !== SP || !isDigit(bytes[9]) || !isDigit(bytes[10]) || !isDigit(bytes[11]) || (end !== 12 && bytes[12] !== SP)) throw notHttp(bytes);
  for (let at = 13; at < end; at++) if (isControl(bytes[at])) throw notHttp(bytes); // the reason phrase
  const status = (bytes[9] - 48) * 100 + (bytes[10] - 48) * 10 + (bytes[11] - 48);
  if (status < 100 || status > 599) throw new HttpError(502, `the upstream answered status ${status}`);
  head.version = version;
  head.status = status;
  return head;
}

function notHttp(bytes) {
  let to = 0;
  while (to < bytes.length && to < 80 && bytes[to] !== CR && bytes[to] !== LF) to++;
  return new HttpError(502, `the upstream answered something else than HTTP/1.x: ${JSON.stringify(text(bytes, 0, to))}`);
}

/**
 * Serialises a head as the bytes it came in as, leaving out the header lines
 * named in `drop` (lower case) and adding the `add` lines (from
 * headerLine()), with `body` (if any) right after it in the same buffer (one
 * write). With `ownVersion`, a response's status line says HTTP/1.1, the
 * gateway's own version (RFC 9110 2.5).
 */
export function serializeHead(head, drop, add, body = EMPTY, ownVersion = false) {
  const { bytes, fields } = head;
  const count = fields.length / 5;
  // Byte ranges to keep: the start line, then each kept header line with its CRLF.
  const keep = [head.startAt, head.startEnd + 2];
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
  if (ownVersion) out[7] = 49; // "HTTP/1.1": the status line starts the head
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
