#!/usr/bin/env node
// A small local server for the example page: the page, its script, the core's
// ESM build (packages/core/dist, which has no imports, so the browser loads it
// as it is), and /data, a large deterministic response (pattern.js).
// Usage: pnpm build && node examples/browser/server.mjs [--port 8015]
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { fillPattern } from './pattern.js';

export { fillPattern, fnv1a, FNV_START, hex, patternMismatch } from './pattern.js';

const here = (path) => new URL(path, import.meta.url);
const files = {
  '/': [here('index.html'), 'text/html; charset=utf-8'],
  '/app.js': [here('app.js'), 'text/javascript'],
  '/pattern.js': [here('pattern.js'), 'text/javascript'],
  '/sosplice-core.js': [here('../../packages/core/dist/index.js'), 'text/javascript'],
};
const CHUNK = 64 * 1024;
const MAX_SIZE = 1024 ** 3; // 1 GiB: a bound on what one request can ask for
const STALL_LIMIT_MS = 60_000; // a stalled response ends by itself after this

/**
 * Sends `size` pattern bytes in 64 KiB chunks, waiting for 'drain' (the
 * browser's backpressure). With `stallAfter` > 0 it stops after that many
 * bytes and holds the response open, as a stalled peer would, until the
 * client goes away (or STALL_LIMIT_MS).
 */
async function sendData(req, res, size, stallAfter) {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size, 'cache-control': 'no-store' });
  let gone = false;
  const closed = new Promise((resolve) => res.once('close', () => resolve((gone = true))));
  const last = stallAfter > 0 ? Math.min(stallAfter, size) : size;
  for (let offset = 0; offset < last && !gone; offset += CHUNK) {
    const chunk = fillPattern(new Uint8Array(Math.min(CHUNK, last - offset)), offset);
    if (!res.write(chunk)) await Promise.race([new Promise((r) => res.once('drain', r)), closed]);
  }
  if (last < size) {
    let timer;
    await Promise.race([closed, new Promise((r) => (timer = setTimeout(r, STALL_LIMIT_MS)))]);
    clearTimeout(timer);
    res.destroy(); // short of content-length: the browser sees a network error
    return;
  }
  res.end();
}

function intParam(url, name) {
  const value = Number(url.searchParams.get(name) ?? 0);
  return Number.isSafeInteger(value) && value >= 0 && value <= MAX_SIZE ? value : undefined;
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/data') {
    const size = intParam(url, 'size');
    const stallAfter = intParam(url, 'stallAfter');
    if (size === undefined || stallAfter === undefined) {
      res.writeHead(400).end(`size and stallAfter must be integers from 0 to ${MAX_SIZE}\n`);
      return;
    }
    await sendData(req, res, size, stallAfter);
    return;
  }
  const file = files[url.pathname];
  if (!file) {
    res.writeHead(404).end('not found\n');
    return;
  }
  try {
    const body = await readFile(file[0]);
    res.writeHead(200, { 'content-type': file[1], 'cache-control': 'no-store' }).end(body);
  } catch {
    res.writeHead(500).end(`${file[0].pathname} is missing: run \`pnpm build\` first\n`);
  }
}

/** Starts the server on 127.0.0.1 (port 0: any free one) and gives its address. */
export function startServer({ port = 8015 } = {}) {
  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const url = `http://127.0.0.1:${server.address().port}/`;
      const close = () => {
        server.closeAllConnections();
        return new Promise((r) => server.close(() => r()));
      };
      resolve({ url, close });
    });
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const at = process.argv.indexOf('--port');
  const { url } = await startServer({ port: at === -1 ? 8015 : Number(process.argv[at + 1]) });
  console.log(`example page: ${url} (Ctrl-C stops)`);
}
