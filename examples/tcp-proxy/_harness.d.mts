// Types of _harness.mjs, for the TypeScript tests.
import type { ChildProcess } from 'node:child_process';
import type { Server, Socket } from 'node:net';

export interface Digest {
  bytes: number;
  sha256: string;
  error?: Error;
}

export interface RunningProxy {
  child: ChildProcess;
  port: number;
  lines: string[];
  waitFor(re: RegExp, ms?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly stderr: string;
  stop(ms?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface ConnLine {
  peer: string;
  up: number;
  upReason: string;
  down: number;
  downReason: string;
  seconds: number;
}

export interface TargetConnection {
  socket: Socket;
  received: Digest | undefined;
  sent: Digest | undefined;
  closed: Promise<unknown>;
  done: Promise<unknown>;
}

export declare function startProxy(runtime: string, args: string[], options?: { timeoutMs?: number; script?: string }): Promise<RunningProxy>;
export declare function parseConnLine(line: string): ConnLine | undefined;
export declare function processCpuSeconds(pid: number): number | undefined;
export declare function processPeakRss(pid: number): number | undefined;
export declare function processRss(pid: number): number | undefined;
export declare function pump(socket: Socket, total: number): Promise<string>;
export declare function drain(socket: Socket, onProgress?: (n: number) => void): Promise<Digest>;
export declare function startTarget(options?: {
  reply?: number;
  afterEof?: boolean;
  port?: number;
  onProgress?: (n: number) => void;
  onConnection?: (entry: TargetConnection) => void;
}): Promise<{ server: Server; port: number; connections: TargetConnection[]; close(): Promise<void> }>;
export declare function runClient(port: number, send: number, onProgress?: (n: number) => void): Promise<{ sent: Digest; received: Digest }>;
