// --workers n: n processes accept on one port. Bun, Deno and Node >= 22.12
// share it with SO_REUSEPORT (the kernel spreads connections): this process
// is worker 0 and starts n - 1 copies of itself. Node 20 has no reusePort
// for net servers: node:cluster's primary accepts and hands connections
// round-robin to n forked workers.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WORKER_ENV = 'SOSPLICE_WORKER';

/** True in a process started by startWorkers(). */
export const isWorker = () => globalThis.process?.env?.[WORKER_ENV] !== undefined;

/** Whether this runtime shares a listening port between processes with reusePort. */
export function hasReusePort(runtime) {
  if (runtime !== 'node') return true;
  const [major, minor] = process.versions.node.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 12);
}

/** Starts `count` more processes running this command line; resolves with a stop function. */
export function startWorkers(count, argv) {
  const main = fileURLToPath(new URL('./main.mjs', import.meta.url));
  const [cmd, args] = globalThis.Deno ? [Deno.execPath(), ['run', '-A', main, ...argv]] : [process.execPath, [...process.execArgv, main, ...argv]];
  const children = [];
  for (let i = 1; i <= count; i++) {
    const child = spawn(cmd, args, { stdio: 'inherit', env: { ...process.env, [WORKER_ENV]: String(i) } });
    child.exited = new Promise((resolve) => child.once('exit', resolve));
    children.push(child);
  }
  return async (signal) => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await Promise.all(children.map((c) => c.exited));
  };
}

/** Node 20: the cluster primary forks `count` workers and forwards the stop signal to them. */
export async function runClusterPrimary(count) {
  const { default: cluster } = await import('node:cluster');
  const workers = [];
  for (let i = 0; i < count; i++) {
    const worker = cluster.fork({ [WORKER_ENV]: String(i) });
    workers.push(new Promise((resolve) => worker.once('exit', resolve)));
  }
  const stop = async (signal) => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
    await Promise.all(workers);
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => stop(signal));
}

/** In a node:cluster worker (Node 20 --workers). */
export async function isClusterWorker() {
  if (globalThis.Deno || globalThis.Bun) return false;
  const { default: cluster } = await import('node:cluster');
  return cluster.isWorker;
}
