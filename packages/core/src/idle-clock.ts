/**
 * One shared clock for every `idle` timeout (docs/contract.md#idle: "timers must be
 * cheap at scale").
 *
 * A splice never touches a timer when bytes move: `count()` only stores
 * `performance.now()`. The clock keeps one heap entry per watched splice,
 * keyed by the moment it *might* expire, and one process timer for the
 * earliest entry. When that timer fires, each due entry is checked against its
 * real deadline (last progress + idle): expired ones are told, the others go
 * back into the heap at their real deadline. So an active splice costs one
 * heap operation per idle period, not one timer per chunk, and 10,000 idle
 * splices share one timer.
 *
 * Resolution: deadlines are rounded up to a 10 ms quantum so that splices
 * due at nearly the same moment share one wake-up (at most ~100 wake-ups a
 * second however many splices are watched). A splice therefore ends between
 * `idle` and `idle + 10 ms` (plus timer lateness) after its last progress;
 * never before `idle`.
 */

/** Something the clock watches. */
export interface IdleWatcher {
  /** When this watcher expires, in `performance.now()` milliseconds. */
  readonly idleDeadline: number;
  /** Called once, when the deadline has passed. */
  onIdle(): void;
}

interface Entry {
  due: number;
  index: number;
  readonly watcher: IdleWatcher;
}

const QUANTUM_MS = 10;

export const now: () => number = () => performance.now();

/** The shared idle clock; one per realm. */
class IdleClock {
  readonly #heap: Entry[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerDue = Number.POSITIVE_INFINITY;
  #wakeups = 0;

  /** Starts watching; returns the handle to pass to `unwatch`. */
  watch(watcher: IdleWatcher): Entry {
    const entry: Entry = { due: quantize(watcher.idleDeadline), index: -1, watcher };
    this.#push(entry);
    this.#arm();
    return entry;
  }

  unwatch(entry: Entry): void {
    if (entry.index < 0) return;
    this.#remove(entry);
    if (this.#heap.length === 0) this.#disarm();
  }

  /** Figures for tests and benchmarks: watched splices and timer wake-ups so far. */
  stats(): { watched: number; wakeups: number; timerArmed: boolean } {
    return { watched: this.#heap.length, wakeups: this.#wakeups, timerArmed: this.#timer !== undefined };
  }

  #tick = (): void => {
    this.#timer = undefined;
    this.#timerDue = Number.POSITIVE_INFINITY;
    this.#wakeups++;
    const t = now();
    const heap = this.#heap;
    while (heap.length > 0 && heap[0]!.due <= t) {
      const entry = heap[0]!;
      this.#remove(entry);
      const deadline = entry.watcher.idleDeadline;
      // 1 ms of tolerance: timers may fire a fraction of a millisecond early.
      if (deadline <= t + 1) entry.watcher.onIdle();
      else {
        entry.due = quantize(deadline);
        this.#push(entry);
      }
    }
    this.#arm();
  };

  #arm(): void {
    const top = this.#heap[0];
    if (top === undefined) return this.#disarm();
    if (this.#timer !== undefined && this.#timerDue <= top.due) return;
    this.#disarm();
    this.#timerDue = top.due;
    this.#timer = setTimeout(this.#tick, Math.max(0, top.due - now()));
  }

  #disarm(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDue = Number.POSITIVE_INFINITY;
  }

  #push(entry: Entry): void {
    entry.index = this.#heap.length;
    this.#heap.push(entry);
    this.#up(entry.index);
  }

  #remove(entry: Entry): void {
    const heap = this.#heap;
    const at = entry.index;
    const last = heap.pop()!;
    entry.index = -1;
    if (last === entry) return;
    heap[at] = last;
    last.index = at;
    this.#down(at);
    this.#up(last.index);
  }

  #up(i: number): void {
    const heap = this.#heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.due <= heap[i]!.due) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(i: number): void {
    const heap = this.#heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let least = i;
      if (l < heap.length && heap[l]!.due < heap[least]!.due) least = l;
      if (r < heap.length && heap[r]!.due < heap[least]!.due) least = r;
      if (least === i) return;
      this.#swap(i, least);
      i = least;
    }
  }

  #swap(a: number, b: number): void {
    const heap = this.#heap;
    const x = heap[a]!;
    const y = heap[b]!;
    heap[a] = y;
    heap[b] = x;
    x.index = b;
    y.index = a;
  }
}

function quantize(t: number): number {
  return Math.ceil(t / QUANTUM_MS) * QUANTUM_MS;
}

export type IdleWatch = Entry;

/** The realm's idle clock. */
export const idleClock = new IdleClock();

/**
 * Figures of the shared idle clock: splices watched, timer wake-ups so far,
 * and whether its one timer is armed. For tests and benchmarks.
 */
export function idleClockStats(): { watched: number; wakeups: number; timerArmed: boolean } {
  return idleClock.stats();
}
