/**
 * The few `Deno` APIs the benchmark uses, declared structurally: the
 * workspace's `tsc` checks `bench/` with Node's types only.
 */
import type { DenoConnLike, DenoListenerLike } from '../../packages/deno-adapter/src/index.js';

/** A conn with Deno's own streams (the `pipeTo` engine uses them). */
export type BenchConn = DenoConnLike & { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> };

export interface BenchListener extends DenoListenerLike, AsyncIterable<BenchConn> {
  accept(): Promise<BenchConn>;
  readonly addr: { transport: string; port: number };
}

export interface BenchChild {
  readonly pid: number;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly status: Promise<unknown>;
  kill(signal: string): void;
}

export interface DenoBenchApi {
  args: string[];
  env: { get(name: string): string | undefined; toObject(): Record<string, string> };
  version: { deno: string };
  listen(o: { hostname: string; port: number }): BenchListener;
  connect(o: { hostname: string; port: number }): Promise<BenchConn>;
  readTextFileSync(path: string): string;
  writeTextFile(path: string, text: string): Promise<void>;
  execPath(): string;
  Command: new (
    cmd: string,
    o: { args: string[]; stdout: 'piped'; stderr: 'inherit'; env: Record<string, string> },
  ) => { spawn(): BenchChild };
}

/** `globalThis.Deno`, typed for the benchmark. */
export const D = (globalThis as unknown as { Deno: DenoBenchApi }).Deno;
