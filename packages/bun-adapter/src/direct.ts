/**
 * Direct dispatch between two sockets of this adapter (docs/adapters.md#direct-dispatch):
 * the provider every Bun socket shares (the core pairs ends by its
 * identity). Between two plain sockets with a kernel fd the splice thread
 * moves the bytes (./kernel.ts) once the splice moved `kernelAfter()` bytes
 * here (64 KiB by default: less costs less here than the hand-over); otherwise the socket kit's direct run does
 * (`@sosplice/core/socket`, direct-run.ts): each `data` callback writes
 * straight into the drain socket, with `pause()` / `drain` as backpressure,
 * as a hand-written Bun proxy does.
 */
import type { DirectSpliceProvider } from '@sosplice/core';
import { createSocketDirectProvider } from '@sosplice/core/socket';
import { kernelAfter } from '@sosplice/native';
import { kernelHook } from './kernel.ts';

/** The provider shared by every socket of this adapter. */
export const bunDirectProvider: DirectSpliceProvider = createSocketDirectProvider(kernelHook, kernelAfter);
