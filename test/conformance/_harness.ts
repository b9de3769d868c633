/**
 * The seam between the conformance suite and a transport.
 *
 * The suite states each docs/contract.md promise once, against this interface; each
 * harness supplies endpoints: in-memory Web Streams (native or polyfill,
 * byte or default), or real loopback sockets through an adapter (generic
 * stream path or direct dispatch path). A test never needs to know which.
 */
import type { SpliceEndpoint } from '@sosplice/core';

/** The far side of an endpoint: what a test drives and observes. */
export interface Peer {
  /** Sends bytes into `endpoint.readable`. Resolves once handed to the transport. */
  write(bytes: Uint8Array): Promise<void>;
  /** EOF on `endpoint.readable` (sockets: the peer's FIN). */
  end(): Promise<void>;
  /**
   * Fails the endpoint in both directions (sockets: an RST). Resolves to a
   * predicate that recognises the error the endpoint's streams surface.
   */
  reset(): Promise<(error: unknown) => boolean>;
  /** Every byte that came out of `endpoint.writable` so far, in order. */
  received(): Uint8Array;
  /** Resolves once at least `n` bytes came out of `endpoint.writable`. */
  receivedAtLeast(n: number): Promise<void>;
  /** Resolves once `endpoint.writable` was closed and everything before the close arrived. */
  ended(): Promise<void>;
  /**
   * Resolves once `endpoint.writable` was aborted, `endpoint.readable` was
   * cancelled, or the transport destroyed (sockets: closed by us without
   * FIN-then-read). Resolves with the abort/cancel reason where the transport
   * can carry it (in-memory), else with `undefined`.
   */
  aborted(): Promise<unknown>;
  /**
   * Sockets only: how the transport under `endpoint` ended as this peer saw
   * it, `'reset'` (an RST: ECONNRESET, or EPIPE on a write) or `'fin'` (a
   * clean end). Resolves at the first of the two.
   */
  closing?(): Promise<'reset' | 'fin'>;
  /** Stops consuming what `endpoint.writable` sends (a stalled drain). */
  stall(): void;
  /** Consumes again after `stall()`. */
  resume(): void;
}

export interface HarnessFeatures {
  /** `endpoint.readable` is a readable byte stream (so `max` is exact without `remainder`). */
  byteStream: boolean;
  /** Each `peer.write()` arrives as exactly one chunk (in-memory); sockets coalesce and split. */
  exactChunks: boolean;
  /** Splicing two endpoints of this harness takes the adapter's direct dispatch path. */
  direct: boolean;
  /** Endpoints are real loopback sockets (peers are raw runtime sockets). */
  socket: boolean;
  /** An abort or cancel of an endpoint reaches its peer as an RST (TCP and TLS where the adapter can send one; not Unix). */
  resets?: boolean;
}

export interface Harness {
  /** Shown in test names, e.g. `memory:native:bytes`, `node:direct`. */
  readonly name: string;
  readonly features: HarnessFeatures;
  /** A fresh endpoint and its peer. */
  endpoint(): Promise<{ endpoint: SpliceEndpoint; peer: Peer }>;
  /**
   * Optional. The high-water mark, in bytes, of an endpoint's readable and of
   * its writable, when nothing else buffers between them and the peer
   * (in-memory). Absent when unknown (kernel socket buffers): the exact
   * memory bound of docs/contract.md#flow-and-memory is then not checked.
   */
  readonly bufferLimit?: number;
  /** Frees everything the harness made (servers, sockets); called after each test file. */
  dispose(): Promise<void>;
}

/** Builds a harness; one per runtime × transport × path. */
export type HarnessFactory = () => Promise<Harness>;
