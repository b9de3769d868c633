// What the command's tests share: a proxy or a target started by a test is
// stopped after it, whatever happened; a free port; a run to exit.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { afterEach } from 'vitest';
import { root, runtimeBinary, scriptArgs } from '../../examples/_runtimes.mjs';
import { startProxy, startTarget } from '../../examples/tcp-proxy/_harness.mjs';

export const main = `${root}packages/cli/src/main.mjs`;

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((fn) => fn()));
});

/** Runs `fn` after the current test. */
export function later(fn: () => Promise<unknown>): void {
  cleanup.push(fn);
}

export async function proxyFor(runtime: string, args: string[]) {
  const proxy = await startProxy(runtime, args);
  // A proxy that hangs is killed after 5 s, so one failure cannot eat the suite's time.
  later(() => proxy.stop(5_000));
  return proxy;
}

export async function targetWith(options: Parameters<typeof startTarget>[0]) {
  const target = await startTarget(options);
  later(() => target.close());
  return target;
}

/** A port nothing listens on (bound, then released). */
export async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs the command to its exit: status and both outputs. */
export function run(runtime: string, args: string[]) {
  const child = spawn(runtimeBinary(runtime)!, scriptArgs(runtime, main, args), { cwd: root, env: { ...process.env, DENO_NO_UPDATE_CHECK: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (t) => (stdout += t));
  child.stderr.setEncoding('utf8').on('data', (t) => (stderr += t));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

/** A client that connected, sent `n` bytes and stays open. */
export async function openClient(port: number, n: number): Promise<net.Socket> {
  const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  socket.on('error', () => {});
  later(async () => socket.destroy());
  await once(socket, 'connect');
  if (n > 0) socket.write(Buffer.alloc(n, 1));
  return socket;
}

/** Resolves once `test()` holds, checking every 10 ms. */
export async function until(test: () => boolean): Promise<void> {
  while (!test()) await new Promise((resolve) => setTimeout(resolve, 10));
}
