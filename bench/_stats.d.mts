// Types of _stats.mjs, for the TypeScript benchmarks.
export declare const median: (xs: readonly number[]) => number;
