// The proxies the connection benchmarks compare, per runtime: the `sosplice`
// command (packages/cli) and the runtime's hand-written proxy, both started
// as a user would (a child process, the same command line, one log line per
// connection), so that only the copying differs. On Node and Bun the command
// takes the kernel path (@sosplice/native) by default; `sosplice-js` is the
// same command with SOSPLICE_NATIVE=0, the JS direct path.
import { root } from '../examples/_runtimes.mjs';
import { startProxy } from '../examples/tcp-proxy/_harness.mjs';
import { median } from './_stats.mjs';

const CLI = `${root}packages/cli/src/main.mjs`;
export const PROXIES = {
  sosplice: { script: () => CLI, label: (runtime) => (runtime === 'deno' ? '**sosplice**' : '**sosplice** (kernel path)') },
  'sosplice-js': { runtimes: ['node', 'bun'], env: { SOSPLICE_NATIVE: '0' }, script: () => CLI, label: () => '**sosplice**, `SOSPLICE_NATIVE=0` (JS direct path)' },
  baseline: {
    script: (runtime) => `${root}bench/${{ node: '_pipe-proxy.mjs', bun: 'bun/_hand-proxy.ts', deno: 'deno/_hand-proxy.ts' }[runtime]}`,
    label: (runtime) => ({ node: '`a.pipe(b)`', bun: '`data`/`drain`', deno: '`read`/`write` loop' })[runtime],
  },
};

/** Every (runtime, proxy) pair measured for `runtimes`. */
export const variantsOf = (runtimes) =>
  runtimes.flatMap((runtime) => Object.keys(PROXIES).filter((p) => PROXIES[p].runtimes?.includes(runtime) ?? true).map((proxy) => ({ runtime, proxy })));

/** The processes this run started and has not seen exit: killed if the run is interrupted. */
export const children = new Set();
export function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    for (const child of children) child.kill('SIGKILL');
    process.exit(130);
  });
}

/** Starts `proxy` (a key of PROXIES) under `runtime`, forwarding to 127.0.0.1:`targetPort`. */
export function startVariant(runtime, proxy, targetPort) {
  const { env = {}, script } = PROXIES[proxy];
  // startProxy passes this process's environment on; it spawns before its first await, so the change is the child's alone.
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  const started = startProxy(runtime, ['--listen', '127.0.0.1:0', '--target', `127.0.0.1:${targetPort}`], { script: script(runtime) });
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  return started.then((p) => (track(p.child), p));
}

/** `xs` rotated left by `k`: round k starts with another variant, so no variant always runs first or last. */
export const rotate = (xs, k) => xs.map((_, i) => xs[(i + k) % xs.length]);

/** `promise`, or a rejection naming `what` after `ms`. */
export function within(promise, ms, what) {
  let timer;
  const limit = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no result in ${ms} ms`)), ms)));
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** `x` with `digits` decimals, or "–" when it was not measured (NaN). */
export const fixed = (x, digits) => (Number.isFinite(x) ? x.toFixed(digits) : '–');

/** "1.23x", or "-" when either side is missing. */
export const ratioText = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}x` : '-');

/** The median of the measured values of `xs` (one per round, a hole where a round failed), NaN if none. */
export const medianOf = (xs) => {
  const present = xs.filter((x) => x !== undefined && !Number.isNaN(x));
  return present.length ? median(present) : NaN;
};

/** The median of same-round ratios `value(xs[i]) / value(base[i])`, over the rounds both were measured in. */
export const pairedRatio = (xs, base, value = (x) => x) => medianOf(xs.map((x, i) => (x === undefined || base[i] === undefined ? undefined : value(x) / value(base[i]))));

/** Runs `fn`; on failure logs it, records it in `errors` under `what` and resolves to undefined. */
export async function attempt(what, errors, log, fn) {
  try {
    return await fn();
  } catch (error) {
    errors.push(`${what}: ${String(error?.message ?? error).split('\n')[0]}`);
    log(`${what}: ${error?.stack ?? error}`);
    return undefined;
  }
}
