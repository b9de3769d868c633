// The example page: fetch() a large response and splice its body into a
// WritableStream with @sosplice/core, with a live byte count, max, idle and
// an Unsplice button; then read what is left of the body.
import { spliceStreams } from './sosplice-core.js';
import { FNV_START, fnv1a, hex, patternMismatch } from './pattern.js';

const $ = (id) => document.getElementById(id);
const show = (fields) => {
  for (const [id, text] of Object.entries(fields)) $(id).textContent = text;
};
// An empty field means "not set"; anything else goes to the core as a number,
// which validates it (a RangeError or TypeError names the option and value).
const option = (id) => ($(id).value.trim() === '' ? undefined : Number($(id).value));

/** Where a sink keeps what it checked: bytes, FNV-1a, first wrong offset. */
const newTally = () => ({ bytes: 0, hash: FNV_START, mismatch: -1 });
function count(tally, chunk) {
  if (tally.mismatch === -1) tally.mismatch = patternMismatch(chunk, tally.bytes);
  tally.hash = fnv1a(tally.hash, chunk);
  tally.bytes += chunk.byteLength;
}

// After max, idle or unsplice the writable is released open: closing it lets
// the chunks still queued in it reach the sink (and commits an OPFS file).
async function closeIfOpen(writable, reason) {
  if (reason === 'eof' || reason === 'error') return;
  await writable.getWriter().close();
}

/** A WritableStream that counts and checks every byte against the pattern. */
function countingSink() {
  const tally = newTally();
  const writable = new WritableStream(
    { write: (chunk) => count(tally, chunk) },
    new ByteLengthQueuingStrategy({ highWaterMark: 1 << 20 }),
  );
  return {
    writable,
    async finish(reason) {
      await closeIfOpen(writable, reason);
      return tally;
    },
  };
}

/** A file in the Origin Private File System; read back and checked once written. */
async function opfsSink() {
  const dir = await navigator.storage.getDirectory();
  const name = 'sosplice-example.bin';
  const handle = await dir.getFileHandle(name, { create: true });
  const writable = await handle.createWritable(); // starts empty
  return {
    writable,
    async finish(reason) {
      await closeIfOpen(writable, reason);
      const tally = newTally();
      for await (const chunk of (await handle.getFile()).stream()) count(tally, chunk);
      await dir.removeEntry(name);
      return tally;
    },
  };
}

/**
 * Reads what the splice left in the body (first `remainder`, if the body is
 * not a byte stream and a chunk straddled max): its first 16 bytes, and on to
 * the end unless the server stalls (then it waits at most 1 s for a chunk).
 */
async function readRest(body, remainder, offset, stalls) {
  const rest = newTally();
  const first = [];
  const take = (chunk) => {
    if (rest.mismatch === -1) rest.mismatch = patternMismatch(chunk, offset + rest.bytes);
    rest.bytes += chunk.byteLength;
    first.push(...chunk.subarray(0, 16 - first.length));
  };
  if (remainder?.byteLength) take(remainder);
  const reader = body.getReader();
  let ended = false;
  for (;;) {
    let timer;
    const pause = stalls ? new Promise((r) => (timer = setTimeout(r, 1000))) : new Promise(() => {});
    const next = await Promise.race([reader.read(), pause]);
    clearTimeout(timer);
    if (!next || next.done) {
      ended = next?.done ?? false;
      break;
    }
    take(next.value);
  }
  if (!ended) await reader.cancel().catch(() => {});
  return { ...rest, first: new Uint8Array(first), ended };
}

async function run() {
  const size = Number($('size').value);
  const stallAfter = Number($('stallAfter').value);
  show({ state: 'fetching', bytes: '0', reason: '', resultBytes: '', remainder: '', received: '', checksum: '', pattern: '', after: '', rest: '', error: '' });
  const response = await fetch(`/data?size=${size}&stallAfter=${stallAfter}`);
  if (!response.ok) throw new Error(`GET /data: ${response.status} ${await response.text()}`);
  const sink = $('sink').value === 'opfs' ? await opfsSink() : countingSink();
  const max = option('max');
  let splice;
  try {
    splice = spliceStreams(response.body, sink.writable, { max, idle: option('idle') });
  } catch (error) {
    await response.body.cancel();
    throw error;
  }
  $('progress').max = Math.max(1, max ? Math.min(max, size) : size);
  $('unsplice').onclick = () => splice.unsplice();
  $('unsplice').disabled = false;
  show({ state: 'splicing' });
  // The bar follows splice.bytes, which the core keeps live, once a frame.
  let live = true;
  const frame = () => {
    $('progress').value = splice.bytes;
    $('bytes').textContent = String(splice.bytes);
    if (live) requestAnimationFrame(frame);
  };
  frame();
  const result = await splice.done;
  live = false;
  frame();
  $('unsplice').disabled = true;
  // A byte stream body (Chromium's is) gives none: max reads no more than its budget.
  const remainder = result.remainder?.byteLength ? `${result.remainder.byteLength} bytes (read past max; first of the rest)` : 'none';
  show({ state: 'checking', reason: result.reason, resultBytes: String(result.bytes), remainder });
  if (result.reason === 'error') show({ error: String(result.error) });

  const tally = await sink.finish(result.reason);
  show({
    received: String(tally.bytes),
    checksum: `0x${tally.hash.toString(16).padStart(8, '0')}`,
    pattern: tally.mismatch === -1 ? 'yes, every byte' : `no: wrong byte at offset ${tally.mismatch}`,
  });
  // After max, idle and unsplice the body is released open: read on.
  if (result.reason === 'max' || result.reason === 'idle' || result.reason === 'unsplice') {
    show({ state: 'reading the rest' });
    const rest = await readRest(response.body, result.remainder, result.bytes, stallAfter > 0);
    const where = rest.mismatch === -1 ? 'as sent' : `wrong byte at offset ${rest.mismatch}`;
    show({
      after: rest.first.byteLength ? hex(rest.first) : '(none)',
      rest: rest.ended
        ? `${rest.bytes} bytes to the end, ${where}; ${result.bytes} + ${rest.bytes} = ${result.bytes + rest.bytes}`
        : `${rest.bytes} bytes, ${where}; then the server stalled and the body was cancelled`,
    });
  }
  show({ state: 'ended' });
}

$('form').addEventListener('submit', (event) => {
  event.preventDefault();
  $('start').disabled = true;
  run()
    .catch((error) => show({ state: 'ended', error: `${error.name}${error.code ? ` ${error.code}` : ''}: ${error.message}` }))
    .finally(() => {
      $('start').disabled = false;
      $('unsplice').disabled = true;
    });
});

