// Types of _runtimes.mjs, for the TypeScript tests.
export declare const root: string;
export declare const RUNTIMES: readonly ['node', 'bun', 'deno'];
export declare function runtimeBinary(runtime: string): string | undefined;
export declare function scriptArgs(runtime: string, script: string, args?: string[]): string[];
