// Deadlines for what a gateway waits on (a client's next request, an
// upstream's answer), checked once a second by one timer for every
// connection: arming one costs a field write, no timer and no clock read
// per request. A deadline of `ms` expires between `ms` and `ms` + 1 s after
// start().

const live = new Set();
let sweeps = 0;
let timer;

function sweep() {
  sweeps++;
  for (const deadline of live) deadline.check();
}

export class Deadline {
  #since = -1;
  #sweeps;
  #onExpire;

  /** `onExpire()` runs once per start() that was not stopped within `ms`. */
  constructor(ms, onExpire) {
    this.#sweeps = Math.max(1, Math.ceil(ms / 1000));
    this.#onExpire = onExpire;
    live.add(this);
    timer ??= setInterval(sweep, 1000);
  }

  #progress;
  #seen = 0;

  /**
   * Arms it. With `progress` (a function returning a count that grows while
   * the waited-on thing moves, such as bytes sent), it expires only after
   * `ms` without progress: a slow transfer is not a stalled one.
   */
  start(progress = undefined) {
    this.#since = sweeps;
    this.#progress = progress;
    this.#seen = progress?.() ?? 0;
  }

  stop() {
    this.#since = -1;
    this.#progress = undefined;
  }

  /** @internal the sweep's check */
  check() {
    if (this.#since < 0) return;
    if (this.#progress !== undefined) {
      const now = this.#progress();
      if (now !== this.#seen) {
        this.#seen = now;
        this.#since = sweeps;
        return;
      }
    }
    if (sweeps - this.#since <= this.#sweeps) return;
    this.stop();
    this.#onExpire();
  }

  /** Forgets it; the timer stops with the last one. */
  dispose() {
    live.delete(this);
    if (live.size > 0 || timer === undefined) return;
    clearInterval(timer);
    timer = undefined;
  }
}
