/**
 * The runtime-free half of an adapter's socket class (docs/adapters.md#writing-an-adapter-the-socket-kit):
 * the two sides over one transport, the streams created on first access,
 * the endpoint-level direct mark (SPEC 6.2), `unshift()` and the counters.
 * An adapter extends it with what needs its runtime: `opened`, `closed`,
 * `close()`, `socket` and the addresses.
 */
import { directSplice, type DirectSpliceProvider } from '../direct.ts';
import { byteLease, type ByteLease } from '../unshift.ts';
import { byteSink } from '../write-bytes.ts';
import { SocketEndpointMark } from './direct-run.ts';
import { SocketReadSide } from './read-side.ts';
import type { SocketTransport } from './transport.ts';
import { SocketWriteSide } from './write-side.ts';

export class SocketEndpoint {
  /** The read side: what the transport's receive events feed (`onData`, `onEnd`, `onError`). */
  protected readonly read: SocketReadSide;
  /** The write side: what the transport's write events feed (`onWritable`, `onError`). */
  protected readonly write: SocketWriteSide;
  readonly #mark: SocketEndpointMark | undefined;

  /**
   * `provider`: the adapter's one direct provider (`createSocketDirectProvider()`),
   * or `undefined` for `direct: false`. `paused`: the transport does not
   * deliver until the kit asks (a pull-based runtime).
   */
  constructor(transport: SocketTransport, highWaterMark: number, provider: DirectSpliceProvider | undefined, paused = false) {
    this.read = new SocketReadSide(transport, highWaterMark, provider, paused);
    this.write = new SocketWriteSide(transport, highWaterMark, provider);
    this.#mark = provider === undefined ? undefined : new SocketEndpointMark(provider, this.read, this.write);
  }

  /** The endpoint-level mark (docs/contract.md#lazy-endpoints); absent without a provider. */
  get [directSplice](): SocketEndpointMark | undefined {
    return this.#mark;
  }

  /** Readable byte stream of what the peer sends, created on first access. */
  get readable(): ReadableStream<Uint8Array> {
    return this.read.readable;
  }

  /** Byte-counted writable; `close()` sends FIN, `abort()` resets. Created on first access. */
  get writable(): WritableStream<Uint8Array> {
    return this.write.writable;
  }

  /** docs/contract.md#header-then-splice. */
  unshift(bytes: Uint8Array): void {
    this.read.unshift(bytes);
  }

  /** Lends the read side to `readUntil()` / `readExactly()` without a stream (docs/contract.md#header-then-splice). */
  [byteLease](): ByteLease | undefined {
    return this.read.leaseBytes();
  }

  /** Takes bytes for `writeBytes()` without a stream (docs/contract.md#header-then-splice). */
  [byteSink](bytes: Uint8Array): Promise<void> | undefined {
    return this.write.sendBytes(bytes);
  }

  /** Bytes received and held in userspace, not yet read or spliced. */
  get readableBuffered(): number {
    return this.read.buffered;
  }

  /** Bytes accepted for writing and not yet handed to the kernel. */
  get writableBuffered(): number {
    return this.write.buffered;
  }
}
