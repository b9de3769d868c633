/**
 * Direct dispatch between two sockets of this adapter (docs/adapters.md#direct-dispatch,
 * the core's `directSplice` extension point): the adapter's one provider.
 *
 * The per-chunk path is the socket kit's (`SocketDirectRun` in
 * `@sosplice/core/socket`), reading top to bottom there: the drain's queued
 * writes first, then what the source holds, then live `'data'` straight
 * into `socket.write()` through ./runtime.ts, split at the budget, counted
 * then written, `pause()` / `'drain'` / `resume()` as backpressure, as
 * `socket.pipe()` does: no Web Streams, no promise per chunk. It runs at the
 * endpoint level too (SPEC 6.2: `spliceBidirectional(a, b)` creates no
 * streams). Between two sockets with a kernel fd, ./kernel.ts takes the
 * splice to a splice thread once it moved `kernelAfter()` bytes (64 KiB by
 * default: a short connection costs less here than the hand-over).
 */
import type { DirectSpliceProvider } from '@sosplice/core';
import { createSocketDirectProvider } from '@sosplice/core/socket';
import { kernelAfter } from '@sosplice/native';
import { kernelRun } from './kernel.ts';

/** The one provider of this adapter: the core pairs ends by its identity. */
export const nodeDirectProvider: DirectSpliceProvider = createSocketDirectProvider(kernelRun, kernelAfter);
