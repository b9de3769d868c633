/**
 * Linked pairs (SPEC.md 5.1): `spliceBidirectional(a, b, { linked: true })`
 * ends as one connection, which is what a proxy needs. Without it each
 * direction is independent, as in BSD, and a proxy whose download ended by
 * `max` or an error would keep a half-dead upload open.
 *
 * - The first ending other than `'eof'` ends the other direction at once:
 *   with `'idle'` for the pair's idle, with `'unsplice'` otherwise. Each
 *   direction keeps its own count and result.
 * - `'eof'` ends nothing: a half-close travels and the other side may answer.
 * - `idle` watches the connection: each direction's deadline counts from the
 *   later of the two directions' last progress (one clock entry each, as
 *   before; no extra timer), so both expire together once neither moved.
 */
import type { SpliceRun } from './engine.js';
import type { SpliceReason } from './types.js';

/** Links two runs that were created and not started yet; `started()` once both run. */
export function linkRuns(x: SpliceRun, y: SpliceRun): { started(): void } {
  x.ctl.linkIdle(y.ctl);
  y.ctl.linkIdle(x.ctl);
  let running = false;
  const follow =
    (other: SpliceRun) =>
    (reason: SpliceReason): void => {
      if (reason === 'eof') return;
      const end = (): void => {
        // A stop request; or, when the other direction is already closing
        // its writable after EOF (no stop accepted), unsplice() resolves it
        // at once with 'eof' while the close goes on (SPEC 4.5).
        if (!other.ctl.stop(reason === 'idle' ? 'idle' : 'unsplice')) void other.unsplice();
      };
      // An ending during the first start() (a provider's early report) waits
      // until the other run has started and can take a stop.
      if (running) end();
      else queueMicrotask(end);
    };
  x.onEnding = follow(y);
  y.onEnding = follow(x);
  return { started: () => void (running = true) };
}
