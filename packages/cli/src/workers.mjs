// --workers n: n processes accept on one port, started and stopped by this
// one (the supervisor, which serves nothing itself). Bun, Deno and
// Node >= 22.12 share the port with SO_REUSEPORT, and the kernel spreads the
// connections; Node 20 has no reusePort for net servers, so there
// node:cluster's primary accepts and hands connections round-robin to its
// forked workers.
import { spawn } from 'node:child_process';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const WORKER_ENV = 'SOSPLICE_WORKER';

/** True in a process a supervisor started. */
export const isWorker = () => process.env[WORKER_ENV] !== undefined;

/** Whether this runtime shares a listening port between processes with reusePort. */
export function hasReusePort(runtime) {
  if (runtime !== 'node') return true;
  const [major, minor] = process.versions.node.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 12);
}

/** Starts `count` workers with this command line, forwards SIGINT/SIGTERM to them, exits 0 once they all exited. */
export async function supervise(count, argv, runtime) {
  const main = fileURLToPath(new URL('./main.mjs', import.meta.url));
  const start = runtime === 'deno' ? spawnDeno : !hasReusePort(runtime) ? await clusterFork() : spawnNode;
  const workers = [];
  for (let i = 1; i <= count; i++) workers.push(start(main, argv, { ...process.env, [WORKER_ENV]: String(i) }));
  let stopping = false;
  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    for (const worker of workers) worker.stop(signal);
    await Promise.all(workers.map((w) => w.exited));
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM']) {
    if (globalThis.Deno) Deno.addSignalListener(signal, () => stop(signal));
    else process.on(signal, () => stop(signal));
  }
}

function spawnNode(main, argv, env) {
  const child = spawn(process.execPath, [...process.execArgv, main, ...argv], { stdio: 'inherit', env });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return { exited, stop: (signal) => child.exitCode === null && child.signalCode === null && child.kill(signal) };
}

// Deno's node:child_process rewrites a spawn of its own executable as if it
// were Node's argv; Deno.Command runs exactly what it is given. reusePort is
// behind --unstable-net in Deno 2.
function spawnDeno(main, argv, env) {
  const args = ['run', '-A', '--unstable-net', main, ...argv];
  const child = new Deno.Command(Deno.execPath(), { args, env, stdout: 'inherit', stderr: 'inherit' }).spawn();
  let done = false;
  const exited = child.status.then((status) => {
    done = true;
    return status.code;
  });
  return { exited, stop: (signal) => done || child.kill(signal) };
}

async function clusterFork() {
  const { default: cluster } = await import('node:cluster');
  return (_main, _argv, env) => {
    const worker = cluster.fork(env);
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    return { exited, stop: (signal) => !worker.isDead() && worker.process.kill(signal) };
  };
}
