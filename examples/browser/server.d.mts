// Types of server.mjs (and the pattern.js helpers it re-exports), for the test.
export function startServer(options?: { port?: number }): Promise<{ url: string; close(): Promise<void> }>;
export function fillPattern(buf: Uint8Array, offset: number): Uint8Array;
export function patternMismatch(chunk: Uint8Array, offset: number): number;
export function fnv1a(hash: number, chunk: Uint8Array): number;
export const FNV_START: number;
export function hex(bytes: Uint8Array): string;
