/**
 * Run as a child process by closed-drain-hang.test.ts, in the same runtime
 * as the test: splices a pulling source into a writable that is already
 * closed (or whose close never finishes, with highWaterMark 0), and prints
 * one line per case once its `done` settled and a timer ran after it. A
 * splice that spins in microtasks never lets the timer run: the process
 * hangs and the parent kills it at its deadline.
 */
import { spliceStreams } from '../../packages/core/src/index.js';

const impl = process.argv[2] === 'polyfill' ? await import('web-streams-polyfill') : globalThis;
const RS = impl.ReadableStream as typeof ReadableStream;
const WS = impl.WritableStream as typeof WritableStream;

/** A source that always has a chunk: the splice would read forever if it could. */
const pulling = () => new RS<Uint8Array>({ pull: (c) => c.enqueue(new Uint8Array(16)) });

async function closedDrain(): Promise<WritableStream<Uint8Array>> {
  const ws = new WS<Uint8Array>();
  const writer = ws.getWriter();
  await writer.close();
  writer.releaseLock();
  return ws;
}

/** Closing forever (its sink's close never settles), and never desiring chunks. */
async function closingDrain(): Promise<WritableStream<Uint8Array>> {
  const ws = new WS<Uint8Array>({ close: () => new Promise<void>(() => {}) }, { highWaterMark: 0 });
  const writer = ws.getWriter();
  void writer.close();
  writer.releaseLock();
  return ws;
}

const timerTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 10));

for (const [name, drain] of [['closed', closedDrain], ['closing', closingDrain]] as const) {
  const rs = pulling();
  const result = await spliceStreams(rs, await drain()).done;
  await timerTurn();
  const error = result.error as { code?: string } | undefined;
  console.log(JSON.stringify({ name, reason: result.reason, code: error?.code, readableLocked: rs.locked }));
}
