// CPU time of a process and of every process under it, from /proc (Linux):
// a proxy that forks workers is charged for them too. RSS comes from
// examples/tcp-proxy/_harness.mjs (processRss).
import { readFileSync, readdirSync } from 'node:fs';

const TICKS = 100; // USER_HZ on Linux

function readOr(path, fallback) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback; // the process (or thread) exited meanwhile
  }
}

/** The live descendants of `pid` (children of each of its threads, recursively), bounded. */
function tree(pid) {
  const pids = [pid];
  for (let i = 0; i < pids.length && pids.length < 1024; i++) {
    let tasks = [];
    try {
      tasks = readdirSync(`/proc/${pids[i]}/task`);
    } catch {}
    for (const tid of tasks) {
      for (const child of readOr(`/proc/${pids[i]}/task/${tid}/children`, '').split(' ')) if (child) pids.push(Number(child));
    }
  }
  return pids;
}

/** `{ user, total }` CPU seconds of `pid` and its live descendants (all threads). */
export function treeCpuSeconds(pid) {
  let user = 0;
  let system = 0;
  for (const p of tree(pid)) {
    const stat = readOr(`/proc/${p}/stat`, undefined);
    if (stat === undefined) continue;
    // Fields after the command name (which may hold spaces) start after ')'; utime and stime are fields 14 and 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    user += Number(f[11]);
    system += Number(f[12]);
  }
  return { user: user / TICKS, total: (user + system) / TICKS };
}

/** The soft limit on open files of this process (children inherit it). */
export function openFileLimit() {
  const m = /^Max open files\s+(\S+)/m.exec(readOr('/proc/self/limits', ''));
  return m === null || m[1] === 'unlimited' ? Infinity : Number(m[1]);
}
