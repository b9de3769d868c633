// Every README example marked `<!-- example: FILE -->`, run as written in the
// consumer project on each runtime it is for. Proxies run against a loopback
// echo server: first with the upstream down (a logged error, the client
// closed, the process still up), then with it up (bytes back intact, the
// per-connection log line). The only change made to the text: the ports
// 8000 (listen) and 8080 (upstream) become free ones.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { machineNode, root, runtimeBinary } from '../../examples/_runtimes.mjs';


const ALL = ['node20', 'node24', 'bun', 'deno'];
/** Which runtimes run each example, and what a script example prints. */
const PLAN = {
  'core-max.mjs': { runtimes: ALL, prints: ['max 5 hello', ', world'] },
  'node-proxy.mjs': { runtimes: ['node20', 'node24'], proxy: true },
  'node-proxy.cjs': { runtimes: ['node20', 'node24'], proxy: true },
  'bun-proxy.mjs': { runtimes: ['bun'], proxy: true },
  'deno-proxy.mjs': { runtimes: ['deno'], proxy: true },
};
const READMES = ['README.md', ...['core', 'node-adapter', 'bun-adapter', 'deno-adapter'].map((p) => `packages/${p}/README.md`)];
const LIMIT_MS = 20_000;

function command(runtime, file, args = [], denoFlags = ['--allow-net']) {
  if (runtime === 'node20') return [machineNode(), [file, ...args]];
  // The binary itself: the .bin shim is a shell script that a signal would not get past.
  if (runtime === 'node24') return [join(root, 'node_modules/node/bin/node'), [file, ...args]];
  if (runtime === 'bun') return [runtimeBinary('bun'), [file, ...args]];
  return [runtimeBinary('deno'), ['run', ...denoFlags, file, ...args]]; // --allow-net: as the deno-adapter README says
}

/** The marked examples of every README: `{ file, code, readme }`, one per file name. */
export function readmeExamples() {
  const found = new Map();
  for (const readme of READMES) {
    const text = readFileSync(join(root, readme), 'utf8');
    for (const m of text.matchAll(/<!-- example: (\S+) -->\n```js\n([\s\S]*?)```/g)) {
      const seen = found.get(m[1]);
      if (seen !== undefined && seen.code !== m[2]) throw new Error(`${readme}: example ${m[1]} differs from the one in ${seen.readme}`);
      found.set(m[1], { file: m[1], code: m[2], readme });
    }
  }
  return [...found.values()];
}

export async function runExamples(dir) {
  const results = [];
  for (const runtime of ALL) {
    const started = Date.now();
    try {
      await checkCli(dir, runtime);
      results.push({ name: `sosplice command on ${runtime}`, ok: true, detail: `${Date.now() - started} ms` });
    } catch (error) {
      results.push({ name: `sosplice command on ${runtime}`, ok: false, detail: error.message });
    }
  }
  const examples = readmeExamples();
  for (const name of Object.keys(PLAN)) {
    if (!examples.some((e) => e.file === name)) results.push({ name, ok: false, detail: 'not found in any README' });
  }
  for (const example of examples) {
    const plan = PLAN[example.file];
    if (plan === undefined) {
      results.push({ name: example.file, ok: false, detail: 'no plan in test/consumer/_examples.mjs' });
      continue;
    }
    for (const runtime of plan.runtimes) {
      const name = `${example.file} on ${runtime}`;
      const started = Date.now();
      try {
        await (plan.proxy ? checkProxy : checkScript)(dir, example, runtime, plan);
        results.push({ name, ok: true, detail: `${Date.now() - started} ms` });
      } catch (error) {
        results.push({ name, ok: false, detail: error.message });
      }
    }
  }
  return results;
}

function start(dir, runtime, file, args, denoFlags) {
  const [cmd, argv] = command(runtime, file, args, denoFlags);
  const child = spawn(cmd, argv, { cwd: dir, env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' } });
  child.out = '';
  child.err = '';
  child.stdout.on('data', (d) => (child.out += d));
  child.stderr.on('data', (d) => (child.err += d));
  child.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  return child;
}

async function checkScript(dir, example, runtime, plan) {
  writeFileSync(join(dir, example.file), example.code);
  const child = start(dir, runtime, example.file);
  const status = await within(child.exited, 'the script to exit', child);
  if (status !== 0) throw new Error(`exited ${status}: ${child.err.trim()}`);
  for (const line of plan.prints) if (!child.out.includes(line)) throw new Error(`printed ${JSON.stringify(child.out)}, not ${JSON.stringify(line)}`);
}

async function checkProxy(dir, example, runtime) {
  const [listenPort, upstreamPort] = [await freePort(), await freePort()];
  const file = `${runtime}-${example.file}`;
  writeFileSync(join(dir, file), example.code.replaceAll('8000', String(listenPort)).replaceAll('8080', String(upstreamPort)));
  const child = start(dir, runtime, file);
  let upstream;
  try {
    // Upstream down: the first client that gets in is closed, the error logged, the proxy stays.
    const refused = await within(connectWhenListening(listenPort, child), 'the proxy to listen', child);
    const answer = await within(exchange(refused, Buffer.alloc(0)), 'the refused client to be closed', child);
    if (answer.length !== 0) throw new Error(`upstream down, yet the client read ${answer.length} bytes`);
    await within(until(() => /unreachable: ECONNREFUSED/.test(child.err)), 'the ECONNREFUSED log line', child);
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('the proxy exited after a refused upstream');
    // Upstream up: bytes go through both ways, and the pair's log line appears.
    upstream = await echoServer(upstreamPort);
    const payload = Buffer.alloc(256 * 1024, 'sosplice ');
    const echoed = await within(exchange(await connectTo(listenPort), payload), 'the echo through the proxy', child);
    if (!echoed.equals(payload)) throw new Error(`echo came back with ${echoed.length} of ${payload.length} bytes`);
    const line = `up ${payload.length} B (eof), down ${payload.length} B (eof)`;
    await within(until(() => child.out.includes(line)), `the log line "${line}"`, child);
  } finally {
    child.kill('SIGTERM');
    await child.exited;
    upstream?.close();
  }
}

/** The installed `sosplice` bin: listens, closes a client whose target is down, stops on SIGINT with exit 0. */
async function checkCli(dir, runtime) {
  const dead = await freePort();
  const bin = 'node_modules/sosplice/src/main.mjs';
  const child = start(dir, runtime, bin, ['--listen', '127.0.0.1:0', '--target', `127.0.0.1:${dead}`], ['-A']);
  try {
    await within(until(() => /^listening on .*:(\d+),/m.test(child.out)), 'the listening line', child);
    const port = Number(/^listening on .*:(\d+),/m.exec(child.out)[1]);
    await within(exchange(await connectTo(port), Buffer.alloc(0)), 'the refused client to be closed', child);
    await within(until(() => child.out.includes('error: cannot reach')), 'the error line', child);
    child.kill('SIGINT');
    const status = await within(child.exited, 'the script to exit', child);
    if (status !== 0) throw new Error(`exited ${status} on SIGINT: ${child.err.trim()}`);
  } finally {
    child.kill('SIGKILL');
  }
}

/** Rejects with what the child printed when `promise` takes longer than LIMIT_MS or the child dies. */
function within(promise, what, child) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; stderr: ${child.err.trim()}`)), LIMIT_MS);
  });
  const died = child.exited.then((status) => {
    if (what !== 'the script to exit') throw new Error(`exited ${status} while waiting for ${what}; stderr: ${child.err.trim()}`);
  });
  return Promise.race([promise, timeout, what === 'the script to exit' ? timeout : died]).finally(() => clearTimeout(timer));
}

async function until(test) {
  while (!test()) await new Promise((resolve) => setTimeout(resolve, 50));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function connectTo(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => resolve(socket));
    socket.once('error', reject);
  });
}

async function connectWhenListening(port, child) {
  for (;;) {
    try {
      return await connectTo(port);
    } catch (error) {
      if (error.code !== 'ECONNREFUSED' || child.exitCode !== null) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Sends `payload`, half-closes, and resolves with everything read until the socket closes. */
function exchange(socket, payload) {
  return new Promise((resolve) => {
    const chunks = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => {}); // a reset is also "closed" for the refused client
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    socket.end(payload);
  });
}

function echoServer(port) {
  return new Promise((resolve, reject) => {
    const server = net.createServer({ allowHalfOpen: true }, (socket) => {
      socket.on('error', () => {});
      socket.pipe(socket);
    });
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
