/**
 * Loads the addon (dist/sosplice.node, built by scripts/build-addon.mjs) and
 * says why when it cannot: another OS, no compiler at build time, or the
 * process switch `SOSPLICE_NATIVE=0`. `SOSPLICE_NATIVE_ADDON=<path>` loads
 * another build (the sanitizer build; a missing path forces the fallback).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

/** What the addon exports (src/addon.c). */
export interface Addon {
  init(onEvents: () => void): void;
  /** 0, or the errno name why the fd cannot be spliced. */
  check(fd: number): 0 | string;
  start(sourceFd: number, drainFd: number, budget: number): number;
  stop(id: number): void;
  /** `what` 0: bytes delivered so far; 1: milliseconds since bytes last moved. */
  progress(id: number, what: 0 | 1): number;
  events(): number[];
  finish(id: number): AddonResult;
  reap(): void;
  stats(): { threads: number; active: number; pipes: number; started: number };
}

/** How a splice ended, as the addon reports it. */
export interface AddonResult {
  /** 1 eof, 2 max (budget taken), 3 stopped, 4 source error, 5 drain error. */
  end: 1 | 2 | 3 | 4 | 5;
  delivered: number;
  leftover?: ArrayBuffer;
  errno?: number;
  code?: string;
  message?: string;
}

export type Loaded = { addon: Addon; reason: string } | { addon: undefined; reason: string };

const env = (name: string): string | undefined => (typeof process === 'object' ? process.env?.[name] : undefined);

/** Loads once; `onEvents` is called (on the JS thread) whenever splices ended. */
export function loadAddon(onEvents: () => void): Loaded {
  if (env('SOSPLICE_NATIVE') === '0') return { addon: undefined, reason: 'turned off by SOSPLICE_NATIVE=0' };
  if (typeof process !== 'object' || process.platform !== 'linux') {
    return { addon: undefined, reason: `no kernel backend for ${typeof process === 'object' ? process.platform : 'this runtime'} (Linux only so far)` };
  }
  const path = env('SOSPLICE_NATIVE_ADDON') ?? builtAddon();
  let addon: Addon;
  try {
    addon = createRequire(import.meta.url)(path) as Addon;
  } catch (error) {
    return { addon: undefined, reason: `cannot load ${path}: ${(error as Error).message.split('\n')[0]}` };
  }
  try {
    addon.init(onEvents);
  } catch (error) {
    return { addon: undefined, reason: `cannot start the addon: ${(error as Error).message}` };
  }
  return { addon, reason: `splice(2) on splice threads (${path})` };
}

/** dist/sosplice.node, seen from dist/ (the package) or from src/ (tests run the sources). */
function builtAddon(): string {
  const here = new URL('./sosplice.node', import.meta.url).pathname;
  const fromSrc = new URL('../dist/sosplice.node', import.meta.url).pathname;
  return existsSync(here) || !existsSync(fromSrc) ? here : fromSrc;
}
