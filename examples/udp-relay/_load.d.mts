// Types for _load.mjs (the test is TypeScript, the load helpers plain JS shared with load.mjs).
export interface Echo {
  readonly port: number;
  readonly received: number;
  close(): Promise<void>;
}
export interface Relay {
  readonly port: number;
  readonly lines: string[];
  until(predicate: (lines: string[]) => boolean, ms: number, what: string): Promise<string[]>;
  sockets(): number;
  stop(): Promise<number | null>;
}
export interface ClientLine {
  client: string;
  up: number;
  upBytes: number;
  down: number;
  downBytes: number;
  dropped: number;
  upReason: string;
  downReason: string;
}
export function startEcho(): Promise<Echo>;
export function startRelay(runtime: string, upstreamPort: number, idle: number): Promise<Relay>;
export function runClients(options: { relayPort: number; clients: number; perClient: number; size?: number; window?: number; waitMs?: number }): Promise<{ sent: number; echoed: number }>;
export function parseClientLine(line: string): ClientLine | null;
