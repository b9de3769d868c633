/**
 * Datagram splicing (docs/datagrams.md, OpenBSD's UDP splice).
 *
 * A stream of datagrams carries one chunk per datagram, and a chunk is a
 * unit: it is never cut at `max`, and a 0-byte chunk is a datagram to
 * forward, not nothing. The core learns that a stream carries datagrams from
 * a mark under the well-known symbol {@link datagramSplice}, set by whoever
 * made the stream (each adapter's datagram endpoint does; a hand-built stream
 * uses {@link markDatagrams}). A mark on the stream, not an option, because
 * framing is a property of the transport, not of one splice: a relay that
 * calls `spliceBidirectional(client, upstream)` cannot forget it, and a mark
 * costs the byte-stream path nothing (one property read when a splice starts).
 *
 * - On a readable, the mark switches the stream path to datagram mode (no
 *   BYOB read, no split, 0-byte chunks forwarded). Its optional `unshift`
 *   takes back a datagram that did not fit in `max`, so it stays first in
 *   the source; without it that datagram comes back whole as `remainder`.
 * - On a writable, its optional `connected()` lets the core refuse, before
 *   locking anything, a drain that has no peer to send to.
 */
import { datagramNotConnected } from './errors.ts';

/** The well-known key: `stream[datagramSplice] = { ... }` (`Symbol.for('sosplice.datagrams')`). */
export const datagramSplice: unique symbol = Symbol.for('sosplice.datagrams') as never;

/** What sits under {@link datagramSplice} on a readable or a writable. */
export interface DatagramMark {
  /** Readable: puts a datagram back at the front of the source (the next read takes it first). */
  unshift?(datagram: Uint8Array): void;
  /** Writable: whether the drain has a peer; `false` refuses the splice. */
  connected?(): boolean;
}

/** A stream that may carry the mark. */
export interface DatagramCapable {
  readonly [datagramSplice]?: DatagramMark;
}

/** Marks a hand-built stream as a stream of datagrams; returns it. */
export function markDatagrams<S extends ReadableStream<Uint8Array> | WritableStream<Uint8Array>>(stream: S, mark: DatagramMark = {}): S {
  Object.defineProperty(stream, datagramSplice, { value: mark, configurable: true });
  return stream;
}

/** The mark on `stream`, if it carries datagrams. */
export function datagramMark(stream: ReadableStream<Uint8Array> | WritableStream<Uint8Array>): DatagramMark | undefined {
  return (stream as DatagramCapable)[datagramSplice];
}

/** Refuses a datagram drain without a peer (docs/datagrams.md), before anything is locked. */
export function assertDatagramDrain(writable: WritableStream<Uint8Array>, name: string): void {
  const mark = datagramMark(writable);
  if (mark?.connected === undefined || mark.connected()) return;
  throw datagramNotConnected(name);
}
