/**
 * The writable side of an adapter socket. Its queue is counted in bytes;
 * `write()` resolves once Bun accepted every byte of the chunk (the tail
 * Bun did not take waits in the state's `outbox` and goes out on `drain`);
 * `close()` is a half-close, `shutdown()` (docs/adapters.md, docs/runtimes.md Bun).
 */
import type { SocketState } from './_state.ts';

/** Creates the writable of `state`; `abort()` destroys the socket (docs/adapters.md). */
export function createWritable(
  state: SocketState,
  opened: Promise<unknown> | undefined,
  destroy: () => void,
): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>(
    {
      start(controller) {
        state.wc = controller;
        // TLS: nothing goes out before the handshake finished.
        return opened?.then(() => undefined);
      },
      write(chunk) {
        if (!(chunk instanceof Uint8Array)) {
          throw Object.assign(new TypeError(`writable.write(chunk): chunk must be a Uint8Array, received ${typeof chunk}`), {
            code: 'ERR_INVALID_ARG_TYPE',
          });
        }
        if (state.send(chunk)) return;
        return state.whenOutboxEmpty();
      },
      close() {
        return state.shutdown();
      },
      abort() {
        destroy();
      },
    },
    { highWaterMark: state.highWaterMark, size: (chunk) => chunk.byteLength },
  );
}
