/**
 * Small named helpers shared by the conformance suite and the unit tests.
 * Nothing here knows about a transport: only bytes, promises and streams.
 */
import { expect } from 'vitest';

export const EMPTY = new Uint8Array(0);

/** mulberry32: the tests' one seeded random source (reproducible: a failing seed is printed in the test name). */
export function prng(seed: number): { next(): number; int(min: number, max: number): number; bool(): boolean } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (min, max) => min + Math.floor(next() * (max - min + 1)), bool: () => next() < 0.5 };
}

/** `n` deterministic, non-repeating-looking bytes; `seed` shifts the pattern so two inputs differ. */
export function pattern(n: number, seed = 0): Uint8Array {
  const out = new Uint8Array(n);
  const rnd = prng(seed * 2654435761 + 0x9e3779b9);
  for (let i = 0; i < n; i++) out[i] = (rnd.next() * 256) | 0;
  return out;
}

/** ASCII text as bytes, for readable small examples. */
export const text = (s: string): Uint8Array => new TextEncoder().encode(s);

export function concat(...parts: ReadonlyArray<Uint8Array | undefined>): Uint8Array {
  let n = 0;
  for (const p of parts) n += p?.byteLength ?? 0;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    if (!p) continue;
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Splits `bytes` into consecutive chunks of the given sizes (the last takes the rest). */
export function chunk(bytes: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  for (const size of sizes) {
    if (at >= bytes.byteLength) break;
    out.push(bytes.slice(at, at + size));
    at += size;
  }
  if (at < bytes.byteLength) out.push(bytes.slice(at));
  return out;
}

/** FNV-1a over the bytes: a compact fingerprint for failure messages. */
export function checksum(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.byteLength; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${bytes.byteLength}:${h.toString(16).padStart(8, '0')}`;
}

/**
 * Asserts byte equality with a message that names the first difference
 * instead of dumping megabytes.
 */
export function expectBytes(actual: Uint8Array, expected: Uint8Array, what = 'bytes'): void {
  const n = Math.min(actual.byteLength, expected.byteLength);
  let first = -1;
  for (let i = 0; i < n; i++) {
    if (actual[i] !== expected[i]) {
      first = i;
      break;
    }
  }
  if (first === -1 && actual.byteLength === expected.byteLength) return;
  const where = first === -1 ? `length ${actual.byteLength}, expected ${expected.byteLength}` : `first difference at byte ${first}`;
  expect.fail(`${what}: ${where} (got ${checksum(actual)}, expected ${checksum(expected)})`);
}

/** Rejects with a message naming `what` if `promise` does not settle within `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One macrotask: lets every queued microtask (promise reaction) run first. */
export const macrotask = (): Promise<void> => sleep(0);

/** The `code` of what `f` throws synchronously, or `'no throw'`. */
export function codeOf(f: () => unknown): unknown {
  try {
    f();
  } catch (error) {
    return (error as { code?: unknown } | undefined)?.code;
  }
  return 'no throw';
}

/**
 * True if `promise` is still pending after `ms`. Only for promises whose
 * promise is that *nothing* happens; the wait is the bounded price of proving
 * a negative.
 */
export async function stillPendingAfter(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const pending = Symbol('pending');
  const settled = promise.then(
    () => undefined,
    () => undefined,
  );
  const winner = await Promise.race([settled.then(() => 'settled' as const), sleep(ms).then(() => pending)]);
  return winner === pending;
}

/** Waits (polling once per macrotask, bounded by `ms`) until `condition()` holds. */
export async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(1);
  }
}

/**
 * Reads from `readable` with a fresh reader until at least `n` bytes arrived
 * (or EOF), then releases the lock so the stream stays usable. A default
 * stream may hand over more than `n` in its last chunk; all of it is returned.
 */
export async function readAtLeast(readable: ReadableStream<Uint8Array>, n: number, ms = 10_000): Promise<Uint8Array> {
  const reader = readable.getReader();
  const parts: Uint8Array[] = [];
  let got = 0;
  try {
    const deadline = Date.now() + ms;
    while (got < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out reading ${n} bytes (got ${got})`);
      const { value, done } = await withTimeout(reader.read(), left, `reading ${n} bytes (got ${got})`);
      if (done) break;
      parts.push(value);
      got += value.byteLength;
    }
  } finally {
    reader.releaseLock();
  }
  return concat(...parts);
}

/** Reads `readable` to EOF with a fresh reader. */
export async function readToEnd(readable: ReadableStream<Uint8Array>, ms = 10_000): Promise<Uint8Array> {
  return readAtLeast(readable, Number.POSITIVE_INFINITY, ms);
}

/** Writes `bytes` with a fresh writer, waits for it to be accepted, and releases the lock. */
export async function writeOnce(writable: WritableStream<Uint8Array>, bytes: Uint8Array): Promise<void> {
  const writer = writable.getWriter();
  try {
    await writer.write(bytes);
  } finally {
    writer.releaseLock();
  }
}

/** `remainder` as bytes (absent = empty). */
export const remainderOf = (result: { remainder?: Uint8Array }): Uint8Array => result.remainder ?? EMPTY;
