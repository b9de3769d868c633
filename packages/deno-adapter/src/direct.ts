/**
 * Direct dispatch between two conns of this adapter (docs/adapters.md#direct-dispatch):
 * the socket kit's run (`@sosplice/core/socket`) moves each chunk from the
 * source's read loop (./runtime.ts, `conn.read()` into a 2 KiB buffer while
 * the peer is quiet, a `highWaterMark` one while data flows) straight into
 * the drain's `conn.write()` chain, with pause / resume as backpressure and
 * no Web Streams: flush the drain's queued writes, take back what a released
 * reader left queued, split a chunk at the budget, count then write, stop
 * exactly once. Deno has no fd to hand to a kernel path, so there is no hook.
 */
import type { DirectSpliceProvider } from '@sosplice/core';
import { createSocketDirectProvider } from '@sosplice/core/socket';

/** The provider shared by every conn this adapter wraps (the core pairs ends by its identity). */
export const denoDirectProvider: DirectSpliceProvider = createSocketDirectProvider();
