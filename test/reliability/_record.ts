/**
 * Results of the reliability suite, for RELIABILITY.md.
 *
 * `scenario()` declares a test that records `{ scenario, runtime, path,
 * result, figures }`; each entry file writes its rows to
 * `node_modules/.cache/sosplice-reliability/<runtime>.<file>.json` after its
 * tests, and `scripts/reliability-report.mjs` renders them as one table.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, it } from 'vitest';

/** Numbers a scenario reports: connections held, faults injected, bytes checked... */
export type Figures = Record<string, number>;

export interface Row {
  section: string;
  scenario: string;
  runtime: string;
  path: string;
  result: 'pass' | 'fail';
  figures: Figures;
  ms: number;
  error?: string;
}

const g = globalThis as { Bun?: unknown; Deno?: unknown; process?: { versions?: { node?: string }; env?: Record<string, string | undefined> } };

/** `node20`, `node24`, `bun` or `deno`: the launcher's name (scripts/test-all.mjs) or guessed. */
export const runtime: string =
  g.process?.env?.SOSPLICE_RUNTIME ?? (g.Deno ? 'deno' : g.Bun ? 'bun' : `node${(g.process?.versions?.node ?? '0').split('.')[0]}`);

const rows: Row[] = [];
let currentSection = 'Other';

/** Names the report section of the scenarios declared next (Faults, Races, Load and leaks...). */
export function section(name: string): void {
  currentSection = name;
}
/**
 * A test whose outcome and figures go into the report. `path` is the
 * harness's name (e.g. `node:tcp:direct`), known only once `beforeAll` ran.
 */
export function scenario(name: string, path: () => string, body: (figures: Figures) => Promise<void>, timeout?: number): void {
  const inSection = currentSection;
  it(
    name,
    async () => {
      const figures: Figures = {};
      const started = performance.now();
      const row = (result: Row['result'], error?: unknown): Row => ({
        section: inSection,
        scenario: name,
        runtime,
        path: path(),
        result,
        figures,
        ms: Math.round(performance.now() - started),
        ...(error === undefined ? {} : { error: String((error as Error)?.message ?? error).split('\n')[0]!.slice(0, 200) }),
      });
      try {
        await body(figures);
        rows.push(row('pass'));
      } catch (error) {
        rows.push(row('fail', error));
        throw error;
      }
    },
    timeout,
  );
}

/** Adds `n` to a figure. */
export const add = (figures: Figures, key: string, n: number): void => void (figures[key] = (figures[key] ?? 0) + n);

/** Call once per entry file: writes that file's rows after its tests. */
export function writeResultsAfterAll(file: string): void {
  afterAll(() => {
    const dir = new URL('../../node_modules/.cache/sosplice-reliability/', import.meta.url);
    mkdirSync(dir, { recursive: true });
    writeFileSync(new URL(`${runtime}.${file}.json`, dir), JSON.stringify({ runtime, file, at: new Date().toISOString(), rows }, null, 1));
  });
}
