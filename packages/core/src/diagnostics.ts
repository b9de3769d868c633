/**
 * Each splice's start and end on `node:diagnostics_channel`
 * (docs/observability.md). The module comes from `process.getBuiltinModule`
 * (Node >= 20.16, Bun, Deno), not an import, so the core keeps no runtime
 * import and loads in browsers, where nothing is published. Nothing is
 * built or awaited unless a channel has a subscriber when the splice starts.
 */
import type { Splice, SpliceEndpoint, SpliceResult } from './types.ts';

/** Where an endpoint is connected, as an adapter reports it (`host:port`, or a Unix path). */
export interface SpliceAddresses {
  local?: string | null;
  remote?: string | null;
}

/**
 * The method an endpoint may implement to name its addresses in diagnostics
 * messages; the three adapters' sockets do.
 */
export const spliceAddresses: unique symbol = Symbol.for('sosplice.addresses') as never;

/** An endpoint that names its addresses. */
export interface SpliceAddressable {
  [spliceAddresses](): SpliceAddresses;
}

/** The message published on both channels; the end publishes the same object, completed. */
export interface SpliceDiagnosticsMessage {
  splice: Splice;
  /**
   * The streams spliced; absent when the splice runs between two endpoints
   * of one provider without creating their streams (docs/contract.md#direct-dispatch).
   */
  readable?: ReadableStream<Uint8Array>;
  writable?: WritableStream<Uint8Array>;
  /** The endpoints, when the splice is a direction of `spliceBidirectional`. */
  source?: SpliceEndpoint;
  drain?: SpliceEndpoint;
  /** `'direct'`: an adapter's direct dispatch moves the bytes; `'stream'`: the core's Web Streams pump. */
  path: 'direct' | 'stream';
  sourceAddresses?: SpliceAddresses;
  drainAddresses?: SpliceAddresses;
  max: number;
  idle: number;
  /** `performance.now()` at the start. */
  startTime: number;
  /** Set at the end. */
  result?: SpliceResult;
  durationMs?: number;
}

interface Channel {
  readonly hasSubscribers: boolean;
  publish(message: unknown): void;
}

const dc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.('node:diagnostics_channel') as
  | { channel(name: string): Channel }
  | undefined;
const startChannel = dc?.channel('sosplice:splice:start');
const endChannel = dc?.channel('sosplice:splice:end');

function addressesOf(endpoint: SpliceEndpoint | undefined): SpliceAddresses | undefined {
  const method = (endpoint as Partial<SpliceAddressable> | undefined)?.[spliceAddresses];
  return typeof method === 'function' ? method.call(endpoint) : undefined;
}

/** Publishes `splice`'s start now and its end when `done` settles, if anyone listens. */
export function publishSplice(
  splice: Splice,
  streams: { readable?: ReadableStream<Uint8Array>; writable?: WritableStream<Uint8Array>; source?: SpliceEndpoint; drain?: SpliceEndpoint },
  path: 'direct' | 'stream',
  limits: { max: number; idle: number },
): void {
  if (!startChannel?.hasSubscribers && !endChannel?.hasSubscribers) return;
  const message: SpliceDiagnosticsMessage = {
    splice,
    ...streams,
    path,
    sourceAddresses: addressesOf(streams.source),
    drainAddresses: addressesOf(streams.drain),
    max: limits.max,
    idle: limits.idle,
    startTime: performance.now(),
  };
  startChannel?.publish(message);
  void splice.done.then((result) => {
    message.result = result;
    message.durationMs = performance.now() - message.startTime;
    endChannel?.publish(message);
  });
}
