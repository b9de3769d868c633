/**
 * The readable side of an adapter socket: a byte stream (BYOB capable) with
 * no queue of its own (`highWaterMark: 0`); `pull()` serves each request from
 * the socket state's `inbox`, never more than the request's view, so a
 * BYOB read of `remaining` bytes takes exactly that many (docs/contract.md#max).
 */
import type { SocketState } from './_state.ts';

/** Chunk size of reads from a default reader (`autoAllocateChunkSize`). */
export const READ_CHUNK_SIZE = 65536;

/** Creates the readable byte stream of `state`; `cancel()` destroys the socket (docs/adapters.md). */
export function createReadable(state: SocketState, destroy: () => void): ReadableStream<Uint8Array> {
  return new ReadableStream(
    {
      type: 'bytes',
      autoAllocateChunkSize: READ_CHUNK_SIZE,
      start(controller) {
        state.rc = controller;
      },
      pull(controller) {
        state.pull(controller);
      },
      cancel() {
        state.streamClosed = true;
        state.inbox.length = 0;
        state.inboxBytes = 0;
        destroy();
      },
    },
    { highWaterMark: 0 },
  ) as ReadableStream<Uint8Array>;
}
