/**
 * The writable side of an adapted conn.
 *
 * - Its queue counts bytes (docs/adapters.md), so `ready` reflects what is really
 *   buffered, not how many chunks.
 * - `write()` resolves once `conn.write()` took every byte (Deno may take
 *   part of a buffer: `Transport.writeAll` finishes it, in order).
 * - `close()` is `conn.closeWrite()`: FIN only, the peer can still answer.
 *   Deno's own `conn.writable.close()` closes the whole conn
 *   (denoland/deno#27510), which loses a reply sent after our FIN.
 * - `abort()` destroys the conn (docs/adapters.md).
 * - After the endpoint's `close()`, chunks queued before it still go out
 *   (ahead of the FIN); those written after it fail with `SocketClosedError`.
 */
import { SocketClosedError } from '@sosplice/core/socket';
import type { Transport } from './runtime.ts';

function invalidChunk(chunk: unknown): TypeError {
  const got = chunk === null ? 'null' : typeof chunk === 'object' ? (chunk.constructor?.name ?? 'object') : typeof chunk;
  return Object.assign(new TypeError(`The "chunk" argument must be a Uint8Array. Received ${got}`), {
    code: 'ERR_INVALID_ARG_TYPE',
  });
}

/** Creates the writable stream of `state`'s conn, buffering up to `highWaterMark` bytes. */
export function createWritable(state: Transport, highWaterMark: number): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>(
    {
      start(controller) {
        state.writableController = controller;
      },
      write(chunk) {
        if (!(chunk instanceof Uint8Array)) throw invalidChunk(chunk);
        // From here the bytes count in `state.writing`; a chunk written after close() is refused.
        if (!state.admit(chunk.byteLength)) throw new SocketClosedError();
        state.watch();
        return state.writeAll(chunk);
      },
      close() {
        return state.closeWrite();
      },
      abort(reason) {
        state.abort(reason);
      },
    },
    {
      highWaterMark,
      size(chunk) {
        const n = chunk instanceof Uint8Array ? chunk.byteLength : 0;
        state.queued += n;
        return n;
      },
    },
  );
}
