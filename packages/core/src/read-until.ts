/**
 * `readUntil()`: reads from an endpoint up to a delimiter, bounded in size,
 * and gives back everything read past it; `readExactly()`: reads a known
 * number of bytes the same way (docs/contract.md#header-then-splice).
 *
 * @example
 * ```ts
 * const head = await readUntil(client, '\r\n\r\n', { maxBytes: 16 * 1024 });
 * // ... parse the head; the body is still in client.readable:
 * spliceStreams(client.readable, upstream.writable, { max: contentLength });
 * ```
 */
import { invalidArgType, outOfRange } from './errors.ts';
import { openCursor } from './read-cursor.ts';
import { byteLease, type ByteLendingEndpoint, type UnshiftableEndpoint } from './unshift.ts';

/** Options of {@link readUntil}. */
export interface ReadUntilOptions {
  /** The longest head accepted, delimiter included. Default 65536. */
  maxBytes?: number;
  /** Aborting it stops the read: what was read goes back, and the promise rejects with the reason. */
  signal?: AbortSignal;
}

/** Options of {@link readExactly}. */
export interface ReadExactlyOptions {
  /** Aborting it stops the read: what was read goes back, and the promise rejects with the reason. */
  signal?: AbortSignal;
}

/** Codes of {@link ReadUntilError}. */
export type ReadUntilErrorCode = 'ERR_HEAD_TOO_LARGE' | 'ERR_HEAD_INCOMPLETE' | 'ERR_BODY_INCOMPLETE';

/**
 * Why no head came back. Nothing read is lost:
 * - `ERR_HEAD_TOO_LARGE`: `maxBytes` were read without the delimiter; all
 *   of them were put back in front of the readable (`bytesRead` says how many);
 * - `ERR_HEAD_INCOMPLETE`: the readable ended before the delimiter; an
 *   ended stream takes nothing back, so the bytes read are in `bytes`;
 * - `ERR_BODY_INCOMPLETE` ({@link readExactly}): the same, before `length` bytes.
 */
export class ReadUntilError extends Error {
  override readonly name = 'ReadUntilError';
  readonly code: ReadUntilErrorCode;
  /** Bytes read before the error (for `ERR_HEAD_TOO_LARGE`, put back already). */
  readonly bytesRead: number;
  /** `ERR_HEAD_INCOMPLETE`, `ERR_BODY_INCOMPLETE`: the bytes read before the end. */
  readonly bytes: Uint8Array | undefined;

  constructor(code: ReadUntilErrorCode, message: string, bytesRead: number, bytes?: Uint8Array) {
    super(message);
    this.code = code;
    this.bytesRead = bytesRead;
    this.bytes = bytes;
  }
}

const DEFAULT_MAX = 64 * 1024;
const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

/**
 * Reads `source` until `delimiter` (bytes, or a string taken as UTF-8) and
 * resolves with the head, delimiter included. Bytes read past the delimiter
 * are put back in front (`source.unshift()`), so the next read or splice
 * starts right after the head. An adapter socket lends its bytes for this
 * (no stream is created or locked); any other endpoint's readable is locked
 * only while this runs.
 *
 * Rejects with {@link ReadUntilError} (head too large, or the stream ended
 * first), the stream's own error, or the signal's reason; in the first and
 * last case everything read was put back.
 */
export async function readUntil(source: UnshiftableEndpoint, delimiter: Uint8Array | string, options: ReadUntilOptions = {}): Promise<Uint8Array> {
  checkSource(source);
  const needle = typeof delimiter === 'string' ? encoder.encode(delimiter) : delimiter;
  if (!(needle instanceof Uint8Array)) throw invalidArgType('delimiter', 'a Uint8Array or a string', delimiter);
  if (needle.byteLength === 0) throw outOfRange('delimiter', 'at least 1 byte long', '""');
  checkOptions(options);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX;
  if (typeof maxBytes !== 'number') throw invalidArgType('options.maxBytes', 'of type number', maxBytes);
  if (!Number.isSafeInteger(maxBytes) || maxBytes < needle.byteLength) {
    throw outOfRange('options.maxBytes', `an integer >= the delimiter's length (${needle.byteLength})`, maxBytes);
  }
  const { signal } = options;
  signal?.throwIfAborted();

  const cursor = openCursor(source, signal);
  let buffer: Uint8Array = EMPTY;
  let rest: Uint8Array | undefined;
  try {
    for (;;) {
      const chunk = await cursor.next();
      if (chunk === null) {
        throw new ReadUntilError('ERR_HEAD_INCOMPLETE', `The readable ended after ${buffer.byteLength} bytes, before the delimiter`, buffer.byteLength, buffer);
      }
      const from = Math.max(0, buffer.byteLength - needle.byteLength + 1);
      buffer = join(buffer, chunk);
      const at = indexOf(buffer, needle, from, Math.min(buffer.byteLength, maxBytes));
      if (at >= 0) {
        const end = at + needle.byteLength;
        rest = buffer.subarray(end);
        return buffer.slice(0, end);
      }
      if (buffer.byteLength >= maxBytes) {
        rest = buffer;
        throw new ReadUntilError('ERR_HEAD_TOO_LARGE', `No delimiter within the first ${maxBytes} bytes (options.maxBytes)`, buffer.byteLength);
      }
    }
  } catch (error) {
    // The signal's reason: whatever was read goes back in front.
    if (signal?.aborted && error === signal.reason) rest = buffer;
    throw error;
  } finally {
    cursor.end(rest);
  }
}

/**
 * Reads exactly `length` bytes from `source` (a short body, read whole in
 * userspace rather than spliced: below a few KiB a splice costs more than
 * the copy) and puts back whatever it read past them, like
 * {@link readUntil}. `length` is the caller's bound: the bytes are held in
 * memory until all have come.
 *
 * Rejects with {@link ReadUntilError} `ERR_BODY_INCOMPLETE` when the stream
 * ends first (the bytes read are in `error.bytes`), the stream's own error,
 * or the signal's reason (everything read put back).
 */
export async function readExactly(source: UnshiftableEndpoint, length: number, options: ReadExactlyOptions = {}): Promise<Uint8Array> {
  checkSource(source);
  if (typeof length !== 'number') throw invalidArgType('length', 'of type number', length);
  if (!Number.isSafeInteger(length) || length < 0) throw outOfRange('length', 'an integer >= 0', length);
  checkOptions(options);
  const { signal } = options;
  signal?.throwIfAborted();
  if (length === 0) return new Uint8Array(0);

  const cursor = openCursor(source, signal);
  const parts: Uint8Array[] = [];
  let have = 0;
  let rest: Uint8Array | undefined;
  try {
    for (;;) {
      const chunk = await cursor.next();
      if (chunk === null) {
        const bytes = concat(parts, have);
        throw new ReadUntilError('ERR_BODY_INCOMPLETE', `The readable ended after ${have} of ${length} bytes`, have, bytes);
      }
      const wanted = length - have;
      if (chunk.byteLength >= wanted) {
        // The chunk's tail goes back: the part kept is copied unless it is the whole chunk, so no buffer is shared with it.
        rest = chunk.subarray(wanted);
        parts.push(rest.byteLength === 0 ? chunk : chunk.slice(0, wanted));
        return concat(parts, length);
      }
      parts.push(chunk);
      have += chunk.byteLength;
    }
  } catch (error) {
    if (signal?.aborted && error === signal.reason) rest = concat(parts, have);
    throw error;
  } finally {
    cursor.end(rest);
  }
}

function checkSource(source: UnshiftableEndpoint): void {
  if (typeof source !== 'object' || source === null || typeof source.unshift !== 'function') throw notASource(source);
  // An endpoint that lends its bytes is not asked for its readable: that would create the stream.
  if (typeof (source as ByteLendingEndpoint)[byteLease] !== 'function' && typeof source.readable?.getReader !== 'function') throw notASource(source);
}

const notASource = (source: unknown) => invalidArgType('source', 'an endpoint with a readable and unshift()', source);

function checkOptions(options: object): void {
  if (typeof options !== 'object' || options === null) throw invalidArgType('options', 'an object', options);
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  return a.byteLength === 0 ? b : concat([a, b], a.byteLength + b.byteLength);
}

/** First index >= `from` where `needle` starts and ends within `limit`, or -1. */
function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number, limit: number): number {
  const first = needle[0]!;
  const last = limit - needle.byteLength;
  for (let i = from; i <= last; i++) {
    // The engine's own scan for the first byte; a byte-by-byte loop in JS is the slow part.
    i = haystack.indexOf(first, i);
    if (i < 0 || i > last) return -1;
    let j = 1;
    while (j < needle.byteLength && haystack[i + j] === needle[j]) j++;
    if (j === needle.byteLength) return i;
  }
  return -1;
}
