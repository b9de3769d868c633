// The HTTP side of the connection benchmarks: Debian's nginx as the server
// (started here, in the foreground, with its own prefix under a temp dir)
// and ApacheBench (`ab`, Debian's apache2-utils) as the load generator.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { which } from './external.mjs';
import { freePort, waitForListener } from './_loopback.mjs';
import { track } from './_proxies.mjs';

const AB_LIMIT_MS = 120_000; // one ab run; 5,000 requests take a few seconds
let aptUpdated = false;

/**
 * The path of each Debian tool, installing its package when missing and
 * running as root (as CI does); throws a message saying what to install otherwise.
 */
export function ensureTools(tools = { nginx: 'nginx-light', ab: 'apache2-utils' }) {
  const found = {};
  for (const [tool, pkg] of Object.entries(tools)) {
    found[tool] = which(tool);
    if (found[tool] !== undefined) continue;
    if (process.getuid?.() !== 0 || which('apt-get') === undefined) {
      throw new Error(`${tool} is missing: install Debian's ${pkg} (\`apt-get install ${pkg}\`) and run again`);
    }
    console.error(`bench: installing ${pkg} for ${tool}`);
    const opts = { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 600_000 };
    if (!aptUpdated) aptUpdated = spawnSync('apt-get', ['update'], opts).status === 0;
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], opts);
    found[tool] = which(tool);
    if (found[tool] === undefined) throw new Error(`${tool} is missing and \`apt-get install ${pkg}\` did not provide it`);
  }
  return found;
}

/** The nginx version, e.g. "1.22.1". */
export function nginxVersion(nginx) {
  const r = spawnSync(nginx, ['-v'], { encoding: 'utf8' });
  return /nginx\/(\S+)/.exec(`${r.stdout}${r.stderr}`)?.[1];
}

/**
 * Starts nginx on a free loopback port serving a 100-byte page at `/`:
 * one process (no master, no daemon, so its PID is the server and the one
 * stop() kills), no access log. Resolves to `{ port, pid, stop() }`.
 */
export async function startNginx(nginx) {
  const dir = mkdtempSync(join(tmpdir(), 'sosplice-nginx-'));
  mkdirSync(join(dir, 'www'));
  writeFileSync(join(dir, 'www', 'index.html'), `${'x'.repeat(99)}\n`);
  const port = await freePort();
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `  ${k}_temp_path ${join(dir, k)};`).join('\n');
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile 8192;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
${temp}
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:${port} backlog=4096;
    root ${join(dir, 'www')};
  }
}
`,
  );
  const child = spawn(nginx, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'inherit'] });
  track(child);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await Promise.race([waitForListener(port), exited.then(() => Promise.reject(new Error(`nginx exited at start (config in ${dir})`)))]);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    port,
    pid: child.pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One ab run against `port`: `requests` GETs of `/`, `concurrency` at a time,
 * with HTTP keep-alive when `keepAlive`. Resolves to `{ rps, failed, seconds }`.
 * `-s 10`: a request that gets no answer in 10 s fails instead of hanging;
 * `-r`: a reset counts as a failure instead of ending the run.
 */
export function ab(abPath, port, { requests, concurrency, keepAlive }) {
  const args = ['-q', '-r', '-s', '10', '-n', String(requests), '-c', String(concurrency), ...(keepAlive ? ['-k'] : []), `http://127.0.0.1:${port}/`];
  return new Promise((resolve, reject) => {
    const child = spawn(abPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (t) => (out += t));
    child.stderr.setEncoding('utf8').on('data', (t) => (out += t));
    const timer = setTimeout(() => child.kill('SIGKILL'), AB_LIMIT_MS);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const field = (re) => Number(re.exec(out)?.[1]);
      const complete = field(/Complete requests:\s+(\d+)/);
      const rps = field(/Requests per second:\s+([\d.]+)/);
      if (code !== 0 || !(complete > 0)) return reject(new Error(`ab ${args.join(' ')} exited with ${code ?? signal}:\n${out.slice(-800)}`));
      resolve({ rps, failed: field(/Failed requests:\s+(\d+)/) + (requests - complete), seconds: field(/Time taken for tests:\s+([\d.]+)/) });
    });
  });
}
