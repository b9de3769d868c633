/**
 * A synchronous fake transport for the socket kit's unit tests: it records
 * what the kit asks (pause, resume, writes, shutdown, reset) and takes as
 * many bytes per `write()` as the test allows.
 */
import { SocketReadSide, SocketWriteSide, type SocketTransport } from '@sosplice/core/socket';
import type { DirectSpliceProvider } from '@sosplice/core';

export class FakeTransport implements SocketTransport {
  paused = false;
  pauses = 0;
  resumes = 0;
  /** Bytes the runtime took, in order. */
  readonly written: number[] = [];
  /** How many bytes the next `write()` calls take; `Infinity`: all. */
  takes = Number.POSITIVE_INFINITY;
  shutdowns = 0;
  resets: unknown[] = [];

  resume(): void {
    this.paused = false;
    this.resumes++;
  }
  pause(): void {
    this.paused = true;
    this.pauses++;
  }
  write(bytes: Uint8Array): number {
    const n = Math.min(this.takes, bytes.byteLength);
    for (let i = 0; i < n; i++) this.written.push(bytes[i]!);
    if (this.takes !== Number.POSITIVE_INFINITY) this.takes -= n;
    return n;
  }
  shutdown(): void {
    this.shutdowns++;
  }
  reset(reason: unknown): void {
    this.resets.push(reason);
  }
}

/** `paused`: the transport starts paused (a pull-based runtime), so the first `resume()` shows who wants bytes. */
export function fakeSides(highWaterMark = 16, provider?: DirectSpliceProvider, paused = false): { t: FakeTransport; read: SocketReadSide; write: SocketWriteSide } {
  const t = new FakeTransport();
  t.paused = paused;
  return { t, read: new SocketReadSide(t, highWaterMark, provider, paused), write: new SocketWriteSide(t, highWaterMark, provider) };
}

export const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
export const range = (from: number, to: number): Uint8Array => Uint8Array.from({ length: to - from }, (_, i) => from + i);
