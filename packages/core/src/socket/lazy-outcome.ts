/**
 * A socket's `closed` promise (./pull-transport.ts), made only when first
 * asked for (thousands of idle sockets make none) and settled once, by the
 * first `resolve()` or `reject()`, whether that comes before or after it is
 * made. A rejection nobody listens to is not reported as unhandled: nobody
 * has to watch `closed` (a reset is reported by the streams too).
 */
const noop = (): void => {};
type Outcome = { readonly error?: unknown };

export class LazyOutcome {
  #outcome: Outcome | undefined;
  #promise: Promise<void> | undefined;
  #settle: ((outcome: Outcome) => void) | undefined;

  get promise(): Promise<void> {
    if (this.#promise === undefined) {
      const outcome = this.#outcome;
      this.#promise =
        outcome === undefined
          ? new Promise<void>((resolve, reject) => (this.#settle = (o) => ('error' in o ? reject(o.error) : resolve())))
          : 'error' in outcome
            ? Promise.reject(outcome.error)
            : Promise.resolve();
      this.#promise.catch(noop);
    }
    return this.#promise;
  }

  resolve(): void {
    this.#set({});
  }

  reject(error: unknown): void {
    this.#set({ error });
  }

  #set(outcome: Outcome): void {
    if (this.#outcome !== undefined) return;
    this.#outcome = outcome;
    this.#settle?.(outcome);
  }
}
