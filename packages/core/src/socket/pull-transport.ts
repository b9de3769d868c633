/**
 * A {@link SocketTransport} over a pull-based socket API, where reads and
 * writes are promises (Deno's `conn.read()` / `conn.write()`, and the like):
 * the push model the kit expects, built from a read loop that honours
 * `pause()` and one write in flight at a time.
 *
 * - Reads: while not paused, one `read()` at a time into a fresh buffer (the
 *   kit owns each chunk it is given). The buffer follows the traffic: it
 *   doubles (up to 4x `readSize`) while reads fill it and halves (down to
 *   `readSize / 4`) after short ones, and a short read is copied out, so a
 *   few bytes never pin a large buffer in a queue. A read already pending when
 *   `pause()` comes still delivers its bytes (the kit queues them): a
 *   pull-based read cannot be taken back.
 * - Writes: `write()` takes a chunk whole when no write is in flight (and
 *   finishes a partial `write()` itself), says 0 otherwise; the kit keeps
 *   the rest and offers it again on `onWritable()`, called once the write
 *   in flight is done.
 * - `shutdown()` waits for the write in flight, then half-closes.
 * - A pull-based runtime reports a reset (or the peer's FIN) only to a
 *   pending read or write, so while paused it keeps one 1-byte read pending
 *   (once per pause: its byte, if one comes, waits in the kit's queue):
 *   a socket that is only written to, or not used at all, still learns that
 *   its peer is gone.
 */
import type { SocketReadSide } from './read-side.ts';
import type { SocketTransport } from './transport.ts';
import type { SocketWriteSide } from './write-side.ts';

/** The pull-based socket: Deno's `Conn` has this shape (with `reset` supplied by the adapter). */
export interface PullSocket {
  /** Reads into `view`; resolves with the count, or `null` at the peer's FIN. */
  read(view: Uint8Array): Promise<number | null>;
  /** Writes some of `bytes`; resolves with how many. */
  write(bytes: Uint8Array): Promise<number>;
  /** Half-close (FIN) after what was written. */
  closeWrite(): Promise<void>;
  /** Destroys the socket, with a reset where the runtime can. */
  reset(reason: unknown): void;
}

export class PullTransport implements SocketTransport {
  readonly socket: PullSocket;
  #read: SocketReadSide | undefined;
  #write: SocketWriteSide | undefined;
  #paused = true;
  #reading = false;
  /** EOF or a failure: no more reads. */
  #done = false;
  #writing: Promise<void> | undefined;
  /** The 1-byte read of this pause was issued. */
  #watched = false;
  #size: number;
  readonly #min: number;
  readonly #max: number;

  constructor(socket: PullSocket, readSize = 65536) {
    this.socket = socket;
    this.#size = readSize;
    this.#min = Math.max(1, readSize >> 2);
    this.#max = readSize * 4;
  }

  /** The sides to feed; before the first `resume()`. Build the read side with `paused = true`. */
  attach(read: SocketReadSide, write: SocketWriteSide): void {
    this.#read = read;
    this.#write = write;
  }

  resume(): void {
    this.#paused = false;
    this.#watched = false;
    if (!this.#reading && !this.#done) void this.#loop();
  }

  pause(): void {
    this.#paused = true;
  }

  /** Starts the read loop as if paused: one 1-byte read watches for a reset or FIN (call once the sides are attached). */
  watch(): void {
    if (!this.#reading && !this.#done) void this.#loop();
  }

  write(bytes: Uint8Array): number {
    if (this.#writing !== undefined) return 0;
    this.#writing = this.#writeAll(bytes).then(
      () => {
        this.#writing = undefined;
        this.#write?.onWritable();
      },
      (error: unknown) => {
        this.#writing = undefined;
        this.#fail(error);
      },
    );
    return bytes.byteLength;
  }

  async shutdown(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
    await this.socket.closeWrite();
  }

  reset(reason: unknown): void {
    this.#done = true;
    this.socket.reset(reason);
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.byteLength) off += await this.socket.write(off === 0 ? bytes : bytes.subarray(off));
  }

  async #loop(): Promise<void> {
    this.#reading = true;
    try {
      while (!this.#done && (!this.#paused || !this.#watched)) {
        // Paused: one 1-byte read, to hear of a reset or FIN (see the module comment).
        const watching = this.#paused;
        if (watching) this.#watched = true;
        const buffer = new Uint8Array(watching ? 1 : this.#size);
        const n = await this.socket.read(buffer);
        if (this.#done) return;
        if (n === null) {
          this.#done = true;
          this.#read?.onEnd();
          return;
        }
        this.#read?.onData(watching ? buffer.subarray(0, n) : this.#chunk(buffer, n));
      }
    } catch (error) {
      this.#fail(error);
    } finally {
      this.#reading = false;
    }
  }

  /** The chunk for `n` bytes read into `buffer`; adapts the next buffer's size. */
  #chunk(buffer: Uint8Array, n: number): Uint8Array {
    if (n === buffer.byteLength) {
      this.#size = Math.min(this.#max, this.#size * 2);
      return buffer;
    }
    if (n * 4 > buffer.byteLength) return buffer.subarray(0, n);
    this.#size = Math.max(this.#min, this.#size >> 1);
    return buffer.slice(0, n);
  }

  /** A read or a write failed: the socket is dead both ways (the sides ignore a failure after their own end). */
  #fail(error: unknown): void {
    this.#done = true;
    this.#read?.onError(error);
    this.#write?.onError(error);
  }
}
