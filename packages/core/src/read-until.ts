/**
 * `readUntil()`: reads from an endpoint up to a delimiter, bounded in size,
 * and gives back everything read past it (SPEC.md 6, header-then-splice).
 *
 * @example
 * ```ts
 * const head = await readUntil(client, '\r\n\r\n', { maxBytes: 16 * 1024 });
 * // ... parse the head; the body is still in client.readable:
 * spliceStreams(client.readable, upstream.writable, { max: contentLength });
 * ```
 */
import { invalidArgType, outOfRange } from './errors.js';
import type { UnshiftableEndpoint } from './unshift.js';

/** Options of {@link readUntil}. */
export interface ReadUntilOptions {
  /** The longest head accepted, delimiter included. Default 65536. */
  maxBytes?: number;
  /** Aborting it stops the read: what was read goes back, and the promise rejects with the reason. */
  signal?: AbortSignal;
}

/** Codes of {@link ReadUntilError}. */
export type ReadUntilErrorCode = 'ERR_HEAD_TOO_LARGE' | 'ERR_HEAD_INCOMPLETE';

/**
 * Why no head came back. Nothing read is lost:
 * - `ERR_HEAD_TOO_LARGE`: `maxBytes` were read without the delimiter; all
 *   of them were put back in front of the readable (`bytesRead` says how many);
 * - `ERR_HEAD_INCOMPLETE`: the readable ended before the delimiter; an
 *   ended stream takes nothing back, so the bytes read are in `bytes`.
 */
export class ReadUntilError extends Error {
  override readonly name = 'ReadUntilError';
  readonly code: ReadUntilErrorCode;
  /** Bytes read before the error (for `ERR_HEAD_TOO_LARGE`, put back already). */
  readonly bytesRead: number;
  /** `ERR_HEAD_INCOMPLETE`: the bytes read before the end. */
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

/**
 * Reads `source.readable` until `delimiter` (bytes, or a string taken as
 * UTF-8) and resolves with the head, delimiter included. Bytes read past the
 * delimiter are put back with `source.unshift()`, so the next read or splice
 * starts right after the head. The readable is locked only while this runs.
 *
 * Rejects with {@link ReadUntilError} (head too large, or the stream ended
 * first), the stream's own error, or the signal's reason; in the first and
 * last case everything read was put back.
 */
export async function readUntil(source: UnshiftableEndpoint, delimiter: Uint8Array | string, options: ReadUntilOptions = {}): Promise<Uint8Array> {
  if (typeof source !== 'object' || source === null || typeof source.unshift !== 'function' || typeof source.readable?.getReader !== 'function') {
    throw invalidArgType('source', 'an endpoint with a readable and unshift()', source);
  }
  const needle = typeof delimiter === 'string' ? encoder.encode(delimiter) : delimiter;
  if (!(needle instanceof Uint8Array)) throw invalidArgType('delimiter', 'a Uint8Array or a string', delimiter);
  if (needle.byteLength === 0) throw outOfRange('delimiter', 'at least 1 byte long', '""');
  if (typeof options !== 'object' || options === null) throw invalidArgType('options', 'an object', options);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX;
  if (typeof maxBytes !== 'number') throw invalidArgType('options.maxBytes', 'of type number', maxBytes);
  if (!Number.isSafeInteger(maxBytes) || maxBytes < needle.byteLength) {
    throw outOfRange('options.maxBytes', `an integer >= the delimiter's length (${needle.byteLength})`, maxBytes);
  }
  const { signal } = options;
  signal?.throwIfAborted();

  const reader = source.readable.getReader();
  let buffer: Uint8Array = new Uint8Array(0);
  const onAbort = (): void => reader.releaseLock();
  signal?.addEventListener('abort', onAbort);
  try {
    for (;;) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        throw error;
      }
      if (result.done) {
        throw new ReadUntilError('ERR_HEAD_INCOMPLETE', `The readable ended after ${buffer.byteLength} bytes, before the delimiter`, buffer.byteLength, buffer);
      }
      const from = Math.max(0, buffer.byteLength - needle.byteLength + 1);
      buffer = join(buffer, result.value);
      const at = indexOf(buffer, needle, from, Math.min(buffer.byteLength, maxBytes));
      if (at >= 0) {
        const end = at + needle.byteLength;
        keep(source, reader, buffer.subarray(end));
        return buffer.slice(0, end);
      }
      if (buffer.byteLength >= maxBytes) {
        keep(source, reader, buffer);
        throw new ReadUntilError('ERR_HEAD_TOO_LARGE', `No delimiter within the first ${maxBytes} bytes (options.maxBytes)`, buffer.byteLength);
      }
    }
  } catch (error) {
    // The signal's reason: whatever was read goes back in front.
    if (signal?.aborted && error === signal.reason) keep(source, reader, buffer);
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    release(reader);
  }
}

/** Releases the lock, then gives `rest` back (unshift refuses a locked readable). */
function keep(source: UnshiftableEndpoint, reader: ReadableStreamDefaultReader<Uint8Array>, rest: Uint8Array): void {
  release(reader);
  if (rest.byteLength > 0) source.unshift(rest);
}

function release(reader: ReadableStreamDefaultReader<Uint8Array>): void {
  try {
    reader.releaseLock();
  } catch {
    // Released already (the signal's abort).
  }
}

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.byteLength === 0) return b;
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
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
