/**
 * The parts of Bun's socket API this adapter uses, declared structurally so
 * the published `.d.ts` never references `@types/bun` (as h3js/srvx does:
 * https://github.com/h3js/srvx/blob/main/src/types/README.md).
 *
 * Runtime API: https://bun.sh/docs/api/tcp
 */

/** Bun's `Socket` (`Bun.connect` / `Bun.listen`), as far as the adapter needs it. */
export interface BunSocket<Data = unknown> {
  data: Data;
  /** Returns the bytes accepted (0 when the kernel buffer is full, -1 when closed); keeps none of the rest. */
  write(data: string | ArrayBufferView | ArrayBuffer): number;
  /** Flushes, then closes the socket fully (even with `allowHalfOpen`). */
  end(): void;
  /** No argument: FIN (`SHUT_WR`); `true`: shuts the read side. */
  shutdown(halfClose?: boolean): void;
  /** Closes at once with an RST. */
  terminate(): void;
  /** Stops kernel reads (not in the stored type declarations of Bun 1.4.5, present at runtime). */
  pause(): void;
  resume(): void;
  /** Swaps the socket's handlers. */
  reload(options: { socket: BunSocketHandler<Data> }): void;
  readonly remoteAddress: string;
  readonly remotePort?: number;
  readonly localAddress?: string;
  readonly localPort: number;
  readonly readyState: number | string;
}

/** Bun's socket handler object. */
export interface BunSocketHandler<Data = unknown> {
  open?(socket: BunSocket<Data>): void | Promise<void>;
  data?(socket: BunSocket<Data>, data: Uint8Array): void | Promise<void>;
  drain?(socket: BunSocket<Data>): void | Promise<void>;
  end?(socket: BunSocket<Data>): void | Promise<void>;
  close?(socket: BunSocket<Data>, error?: Error): void | Promise<void>;
  error?(socket: BunSocket<Data>, error: Error): void | Promise<void>;
  timeout?(socket: BunSocket<Data>): void | Promise<void>;
  connectError?(socket: BunSocket<Data>, error: Error): void | Promise<void>;
  handshake?(socket: BunSocket<Data>, success: boolean, authorizationError: Error | null): void;
  binaryType?: 'buffer' | 'arraybuffer' | 'uint8array';
}

/** TLS options as Bun takes them (`tls: true` on a client uses the defaults). */
export interface BunTLSOptions {
  cert?: unknown;
  key?: unknown;
  ca?: unknown;
  passphrase?: string;
  serverName?: string;
  rejectUnauthorized?: boolean;
  [option: string]: unknown;
}

/** Bun's listener (`Bun.listen`'s result). */
export interface BunSocketListener<Data = unknown> {
  stop(closeActiveConnections?: boolean): void;
  ref(): void;
  unref(): void;
  reload(options: { socket: BunSocketHandler<Data> }): void;
  readonly port: number;
  readonly hostname: string;
  readonly unix?: string;
  data: Data;
}

/** Options shared by `Bun.connect` and `Bun.listen`, without `socket` (the adapter sets it). */
export type BunSocketOptions = (
  | { hostname: string; port: number; unix?: never }
  | { unix: string; hostname?: never; port?: never }
) & {
  tls?: boolean | BunTLSOptions;
  exclusive?: boolean;
  reusePort?: boolean;
  ipv6Only?: boolean;
  [option: string]: unknown;
};

interface BunGlobal {
  connect(options: Record<string, unknown>): Promise<BunSocket>;
  listen(options: Record<string, unknown>): BunSocketListener;
}

/** `globalThis.Bun`, or a clear error when the adapter runs elsewhere. */
export function getBun(): BunGlobal {
  const bun = (globalThis as { Bun?: BunGlobal }).Bun;
  if (bun === undefined) {
    throw Object.assign(new Error('@sosplice/bun-adapter needs the Bun runtime (globalThis.Bun is undefined)'), {
      code: 'ERR_RUNTIME_NOT_SUPPORTED',
    });
  }
  return bun;
}
