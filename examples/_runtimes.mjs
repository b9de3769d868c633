// Where the three runtimes live, for the demo, the tests and the benchmarks.
//
// The workspace installs Bun and Deno from npm. Their `node_modules/.bin`
// shims are shell scripts (and Deno's runs the binary from a Node process),
// so a signal sent to the shim's PID never reaches the runtime: spawn the real
// binaries instead, so that SIGINT and CPU time are the proxy's own.
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

const local = {
  // The runtime running this script is the Node we use: the user chose it.
  node: process.execPath,
  bun: `${root}node_modules/bun/bin/bun.exe`,
  deno: `${root}node_modules/deno/deno`,
};

/** The executable of `runtime`, or `undefined` when it is not installed. */
export function runtimeBinary(runtime) {
  const path = local[runtime];
  return path !== undefined && existsSync(path) ? path : undefined;
}

/** argv (after the executable) that runs `script` with `args` under `runtime`. */
export function scriptArgs(runtime, script, args = []) {
  // `-A`: the proxy listens, connects and reads its TLS files.
  // `--unstable-net`: Deno.listenDatagram, for the udp-relay example.
  return runtime === 'deno' ? ['run', '-A', '--unstable-net', script, ...args] : [script, ...args];
}

export const RUNTIMES = ['node', 'bun', 'deno'];

/**
 * The machine's own Node (20 here and on CI). Under `pnpm <script>` the
 * `node` on PATH, and so process.execPath, is the node@24 devDependency; the
 * Node that runs pnpm is `npm_node_execpath`.
 */
export function machineNode() {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d && !d.includes('node_modules'));
  const candidates = [process.env.npm_node_execpath, ...dirs.map((d) => join(d, 'node')), process.execPath];
  return candidates.find((c) => c && !c.includes('node_modules') && existsSync(c)) ?? process.execPath;
}
