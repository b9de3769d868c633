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

  start() {
    this.#since = sweeps;
  }

  stop() {
    this.#since = -1;
  }

  /** @internal the sweep's check */
  check() {
    if (this.#since < 0 || sweeps - this.#since <= this.#sweeps) return;
    this.#since = -1;
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
