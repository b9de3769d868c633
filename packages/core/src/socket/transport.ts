/**
 * What an adapter supplies to the socket kit: its runtime's socket, behind
 * one small push-model interface. The kit (./read-side.ts, ./write-side.ts,
 * ./direct-run.ts) does everything else: the streams, created lazily, the
 * leases of a direct splice, backpressure, partial writes, the direct path.
 *
 * The runtime's events go the other way, as calls on the kit's sides:
 *
 * | runtime event                       | call                                   |
 * | ----------------------------------- | -------------------------------------- |
 * | bytes received                      | `read.onData(chunk)` (the kit owns `chunk` from then on) |
 * | the peer's FIN                      | `read.onEnd()`                         |
 * | room to write again (after `write()` took less than asked) | `write.onWritable()` |
 * | the socket failed (reset, error)    | `read.onError(error)` and `write.onError(error)` |
 *
 * A pull-based runtime (Deno's `conn.read()`) fits with a read loop that
 * reads while not paused and calls `onData` for each read (a read already
 * pending when `pause()` comes still delivers its bytes: the kit queues them).
 */
export interface SocketTransport {
  /** Deliver received bytes (`read.onData`); called when the read side wants more. */
  resume(): void;
  /** Stop delivering: the read side is full (real backpressure: the kernel's buffer fills next). */
  pause(): void;
  /**
   * Hands `bytes` to the runtime and returns how many it took now, `0` to
   * `bytes.byteLength` (taken bytes are the transport's to send, in order;
   * it must not keep a reference it cannot honour, so a transport that sends
   * asynchronously takes the chunk whole and says 0 for the next one until
   * it is written). What it did not take the kit keeps, before anything
   * newer, and offers again after `write.onWritable()`. A transport that
   * buffers internally (Node) returns 0 while its own buffer is above the
   * high-water mark. Throws (or calls `onError`) when the socket is gone.
   */
  write(bytes: Uint8Array): number;
  /**
   * Half-close: FIN after every byte taken (`shutdown(SHUT_WR)`); the read
   * side stays open. Resolves once sent; rejects with the runtime's error.
   */
  shutdown(): Promise<void> | void;
  /** Destroys the socket with a reset (RST) where the runtime can (`abort()`, `cancel()`). */
  reset(reason: unknown): void;
  /**
   * `true`: the transport keeps no chunk it took past that chunk's write,
   * and gives a lent one back then (`giveBack()`, ./read-buffers.ts), so a
   * direct run may hand it chunks in a source's lent read buffers, uncopied
   * (./pull-transport.ts). A transport that queues chunks in its runtime
   * (Node's `socket.write()`) leaves it unset.
   */
  readonly returnsLoans?: boolean;
  /** Bytes the runtime itself holds received and not delivered yet (Node's `readableLength`), for the counters. */
  readonly readBuffered?: number;
  /** Bytes the runtime itself holds taken and not yet sent (Node's `writableLength`), for the counters. */
  readonly writeBuffered?: number;
}
