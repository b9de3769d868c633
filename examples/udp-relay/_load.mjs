// Load for the udp-relay example, shared by its test and load.mjs: an echo
// upstream, the relay under one runtime as a child process, and `clients`
// UDP clients each sending `perClient` datagrams in windows, counting echoes.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { readdirSync, readlinkSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { root, runtimeBinary, scriptArgs } from '../_runtimes.mjs';

/** An echo server (the upstream): every datagram goes back to its sender. */
export async function startEcho() {
  const socket = dgram.createSocket('udp4');
  let received = 0;
  socket.on('message', (message, from) => {
    received++;
    socket.send(message, from.port, from.address);
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return { port: socket.address().port, get received() { return received; }, close: () => new Promise((r) => socket.close(r)) };
}

/** The relay as a user runs it; `lines` collects its stdout. */
export async function startRelay(runtime, upstreamPort, idle) {
  const args = ['--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${upstreamPort}`, '--idle', String(idle)];
  const child = spawn(runtimeBinary(runtime), scriptArgs(runtime, `${root}examples/udp-relay/${runtime}.mjs`, args), { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  const waiters = [];
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (t) => (stderr += t));
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    for (const w of waiters.slice()) w(); // a waiter removes itself
  });
  /** Resolves once `predicate(lines)` holds, or rejects after `ms`. */
  const until = (predicate, ms, what) =>
    new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate(lines)) return;
        clearTimeout(timer);
        waiters.splice(waiters.indexOf(check), 1);
        resolve(lines);
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(check), 1);
        reject(new Error(`relay (${runtime}): timed out waiting for ${what}; stderr: ${stderr}; lines: ${lines.slice(-5).join(' | ')}`));
      }, ms);
      waiters.push(check);
      check();
    });
  await until((l) => l.some((x) => x.startsWith('udp-relay listening')), 15_000, 'the listening line');
  const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(lines.find((x) => x.startsWith('udp-relay listening')))[1]);
  return {
    port,
    lines,
    until,
    /** Sockets the relay process holds (Linux /proc). */
    sockets: () => readdirSync(`/proc/${child.pid}/fd`).filter((fd) => { try { return readlinkSync(`/proc/${child.pid}/fd/${fd}`).startsWith('socket:'); } catch { return false; } }).length,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const [code] = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/**
 * `clients` sockets each send `perClient` datagrams of `size` bytes to the
 * relay, `window` at a time, waiting for their echoes (up to `waitMs` for a
 * window, so a lost datagram cannot stall the run). Returns what was sent and echoed.
 */
export async function runClients({ relayPort, clients, perClient, size = 64, window = 8, waitMs = 2_000 }) {
  const results = await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      const socket = dgram.createSocket('udp4');
      socket.bind(0, '127.0.0.1');
      await once(socket, 'listening');
      let echoed = 0;
      let wake;
      socket.on('message', () => {
        echoed++;
        wake?.();
      });
      let sent = 0;
      const payload = Buffer.alloc(size, c & 0xff);
      while (sent < perClient) {
        const n = Math.min(window, perClient - sent);
        for (let i = 0; i < n; i++) socket.send(payload, relayPort, '127.0.0.1');
        sent += n;
        const deadline = Date.now() + waitMs;
        while (echoed < sent && Date.now() < deadline) await new Promise((r) => { wake = r; setTimeout(r, 50); });
      }
      await new Promise((r) => socket.close(r));
      return { sent, echoed };
    }),
  );
  return { sent: results.reduce((s, r) => s + r.sent, 0), echoed: results.reduce((s, r) => s + r.echoed, 0) };
}

/** Parses a client line of the relay's log. */
export function parseClientLine(line) {
  const m = /^(\S+) up (\d+) datagrams (\d+) B, down (\d+) datagrams (\d+) B, dropped (\d+), (\S+)\/(\S+), /.exec(line);
  return m && { client: m[1], up: +m[2], upBytes: +m[3], down: +m[4], downBytes: +m[5], dropped: +m[6], upReason: m[7], downReason: m[8] };
}
