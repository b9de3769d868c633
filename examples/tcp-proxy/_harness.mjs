// What the demo, the tests and the scale benchmark share: start the proxy as
// a user would (a child process under one runtime), a loopback target that
// answers with its own stream, and a client that pushes and checks bytes.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { once } from 'node:events';
import { root, runtimeBinary, scriptArgs } from '../_runtimes.mjs';

/**
 * Starts the `sosplice` command (packages/cli) under `runtime` with `args` and resolves once it
 * printed its "listening on" line (`script`: another proxy with the same
 * command line and log lines). `lines` collects its stdout, `waitFor`
 * resolves on the first (past or future) line matching a regex.
 */
export async function startProxy(runtime, args, { timeoutMs = 20_000, script = `${root}packages/cli/src/main.mjs` } = {}) {
  const bin = runtimeBinary(runtime);
  if (bin === undefined) throw new Error(`${runtime} is not installed`);
  const child = spawn(bin, scriptArgs(runtime, script, args), { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  let stderr = '';
  const waiters = new Set();
  let buffered = '';
  child.stdout.setEncoding('utf8').on('data', (text) => {
    buffered += text;
    let nl;
    while ((nl = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      lines.push(line);
      for (const w of waiters) w(line);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (text) => (stderr += text));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  /** The first line matching `re`, waiting for it if needed; rejects if the proxy exits first. */
  function waitFor(re, ms = timeoutMs) {
    const seen = lines.find((l) => re.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const done = (fn, value) => {
        waiters.delete(check);
        clearTimeout(timer);
        fn(value);
      };
      const check = (line) => re.test(line) && done(resolve, line);
      const timer = setTimeout(() => done(reject, new Error(`no line matching ${re} in ${ms} ms; stdout:\n${lines.join('\n')}\nstderr:\n${stderr}`)), ms);
      waiters.add(check);
      exited.then(() => done(reject, new Error(`proxy exited before ${re}; stdout:\n${lines.join('\n')}\nstderr:\n${stderr}`)));
    });
  }

  const listening = await waitFor(/^listening on |^\{"event":"listening"/);
  const port = Number(/:(\d+)[,"]/.exec(listening)[1]);
  return {
    child,
    port,
    lines,
    waitFor,
    exited,
    get stderr() {
      return stderr;
    },
    /** SIGINT, then the exit status; SIGKILL if it does not exit in time. */
    async stop(ms = timeoutMs) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), ms);
      const status = await exited;
      clearTimeout(timer);
      return status;
    },
  };
}

/** Parses a proxy log line: `<peer> up N B (reason), down N B (reason), T s`. */
export function parseConnLine(line) {
  const m = /^(\S+) up (\d+) B \(([^)]*)\), down (\d+) B \(([^)]*)\), ([\d.]+) s$/.exec(line);
  if (m === null) return undefined;
  return { peer: m[1], up: Number(m[2]), upReason: m[3], down: Number(m[4]), downReason: m[5], seconds: Number(m[6]) };
}

/** CPU seconds (user + system, all threads) of a process, from /proc; undefined elsewhere. */
export function processCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 (1-based) of proc(5), in clock ticks (100 Hz on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Peak resident set size of a process (VmHWM), in bytes, from /proc. */
export function processPeakRss(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? undefined : Number(m[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** Current resident set size of a process (VmRSS), in bytes, from /proc. */
export function processRss(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? undefined : Number(m[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** A pattern of odd length, so that a lost or repeated chunk changes the hash. */
const PATTERN = randomBytes(1024 * 1024 + 13);

/** Writes `total` bytes of the pattern to a Node socket, honouring backpressure; returns their sha256. */
export async function pump(socket, total) {
  const hash = createHash('sha256');
  let sent = 0;
  while (sent < total) {
    const chunk = PATTERN.subarray(0, Math.min(PATTERN.length, total - sent));
    hash.update(chunk);
    sent += chunk.length;
    if (!socket.write(chunk)) await once(socket, 'drain');
  }
  return hash.digest('hex');
}

/**
 * Reads a Node socket to its end; resolves to its byte count and sha256,
 * with `error` when it ended by an error (a reset) instead of a FIN.
 */
export function drain(socket, onProgress) {
  const hash = createHash('sha256');
  let bytes = 0;
  socket.on('data', (chunk) => {
    hash.update(chunk);
    bytes += chunk.length;
    onProgress?.(chunk.length);
  });
  return new Promise((resolve) => {
    const done = (error) => {
      socket.off('end', done);
      socket.off('close', done);
      socket.off('error', done);
      const result = { bytes, sha256: hash.digest('hex') };
      resolve(error instanceof Error ? { ...result, error } : result);
    };
    socket.once('end', done);
    socket.once('error', done);
    socket.once('close', done);
  });
}

/**
 * A loopback target: for each connection it reads the client's stream to
 * its FIN while sending `reply` bytes of its own (`afterEof`: once the FIN
 * came), then half-closes. Bytes received are reported to `onProgress`;
 * each connection's result (`received`, `sent`) lands in `connections`.
 */
export async function startTarget({ reply = 0, afterEof = false, port = 0, onProgress, onConnection } = {}) {
  const connections = [];
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    const entry = { socket, received: undefined, sent: undefined, closed: once(socket, 'close') };
    connections.push(entry);
    socket.on('error', () => {});
    const received = drain(socket, onProgress).then((r) => (entry.received = r));
    // afterEof: answer only once the client's FIN arrived, as a server that
    // needs the whole request does; only a working half-close gets it back.
    const start = afterEof ? received : Promise.resolve();
    const sent = start.then(() => pump(socket, reply)).then((sha256) => {
      entry.sent = { bytes: reply, sha256 };
      socket.end();
    });
    entry.done = Promise.all([received, sent]);
    onConnection?.(entry);
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: server.address().port, connections, close: () => new Promise((r) => server.close(r)) };
}

/**
 * One client through the proxy: sends `send` bytes then FIN, reads to EOF
 * (bytes received are reported to `onProgress`).
 * Resolves to `{ sent: {bytes, sha256}, received: {bytes, sha256} }`.
 */
export async function runClient(port, send, onProgress) {
  const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  await once(socket, 'connect');
  const received = drain(socket, onProgress);
  const sha256 = await pump(socket, send);
  socket.end();
  const result = { sent: { bytes: send, sha256 }, received: await received };
  socket.destroy();
  return result;
}
