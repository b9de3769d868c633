/**
 * Offering a splice to an adapter's direct provider (docs/contract.md#direct-dispatch):
 * between two endpoints whose marks match, through their leases (SPEC 6.2),
 * or between two marked streams, through a reader and a writer. The engine
 * (./engine.ts) decides when, and what a refusal leads to.
 */
import { matchDirectProvider, type DirectDrainLease, type DirectSourceLease, type DirectSpliceEndpoint, type DirectSpliceRun, type SpliceControl } from './direct.ts';
import type { SpliceEndpoint } from './types.ts';

/** A splice between two endpoints that both carry an endpoint-level mark, with their leases taken (SPEC 6.2). */
export interface LeasedEnds {
  readonly source: SpliceEndpoint;
  readonly drain: SpliceEndpoint;
  readonly sourceMark: DirectSpliceEndpoint;
  readonly drainMark: DirectSpliceEndpoint;
  readonly sourceLease: DirectSourceLease;
  readonly drainLease: DirectDrainLease;
}

/** Runs `splice` while the engine holds back the events it causes (its phase 'starting'). */
export type Offer = (splice: () => DirectSpliceRun | undefined) => DirectSpliceRun | undefined;

/** The provider's run between two leased endpoints, or `undefined` if it declined (the leases are still held). */
export function offerEndpoints(ends: LeasedEnds, control: SpliceControl, offer: Offer): DirectSpliceRun | undefined {
  const { sourceMark, drainMark, sourceLease, drainLease } = ends;
  return offer(() => sourceMark.provider.spliceEndpoints!({ source: sourceMark, drain: drainMark, sourceLease, drainLease, control }));
}

/**
 * The provider's run between two marked streams, with the reader and writer
 * it was given; `undefined` (nothing held) when the marks do not match or
 * the provider declined.
 */
export function offerStreams(
  readable: ReadableStream<Uint8Array>,
  writable: WritableStream<Uint8Array>,
  control: SpliceControl,
  offer: Offer,
): { run: DirectSpliceRun; reader: ReadableStreamDefaultReader<Uint8Array>; writer: WritableStreamDefaultWriter<Uint8Array> } | undefined {
  const match = matchDirectProvider(readable, writable);
  if (match === undefined) return undefined;
  const reader = readable.getReader();
  const writer = writable.getWriter();
  // A drain that can take nothing now (closed: desiredSize 0; errored:
  // null; or full) goes to the stream path, which reports a closed or
  // failed drain the same way on every transport (issue 16).
  const run = (writer.desiredSize ?? 0) > 0 ? offer(() => match.source.provider.splice({ ...match, reader, writer, control })) : undefined;
  if (run !== undefined) return { run, reader, writer };
  // Declined: the stream path takes its own locks (a BYOB reader for max).
  reader.releaseLock();
  writer.releaseLock();
  return undefined;
}
