/**
 * Leak and race check of the kernel path (docs/contract.md#the-kernel-path): many splices started
 * and ended at random moments (unsplice, idle, max, EOF, a reset of either
 * side) leave the process's fds, threads and pipes where they began, once
 * the splice threads were reaped. Counts from /proc/self (Linux only, as is
 * the kernel path).
 *
 * `SOSPLICE_CHURN_SPLICES` sets the number of splices (the test runs a
 * smaller number to stay quick; `pnpm soak:native` runs 10,000).
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { expect, it } from 'vitest';
import { spliceStreams, type SpliceOptions } from '@sosplice/core';
import { nativeStats } from '@sosplice/native';
import type { HarnessFactory, Peer } from '../conformance/_harness';
import type { SpliceEndpoint } from '@sosplice/core';
import { macrotask, pattern, sleep, until, withTimeout } from '../harness/_util';

type Side = { endpoint: SpliceEndpoint; peer: Peer };
type Ending = 'unsplice' | 'idle' | 'max' | 'eof' | 'reset-source' | 'reset-drain';
const ENDINGS: readonly Ending[] = ['unsplice', 'idle', 'max', 'eof', 'reset-source', 'reset-drain'];

/** fds, threads and pipes of this process. */
export function processCounts(): { fds: number; threads: number; pipes: number } {
  const fds = readdirSync('/proc/self/fd');
  let pipes = 0;
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('pipe:')) pipes++;
    } catch {
      // Closed between the listing and the look.
    }
  }
  return { fds: fds.length, threads: readdirSync('/proc/self/task').length, pipes };
}

/** A small deterministic generator, so a failure can be replayed from its seed. */
function prng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

const settled = async (): Promise<void> => {
  await until(() => nativeStats().active === 0, 20_000, 'every kernel splice finished');
  await until(() => nativeStats().threads === 0, 20_000, 'splice threads reaped');
};

/** Runs `total` splices over `lanes` concurrent pairs of endpoints from `factory`. */
export function describeChurn(factory: HarnessFactory, total: number, lanes = 8, seed = 11): void {
  it(`${total} kernel splices ended at random moments leave fds, threads and pipes where they began`, { timeout: 240_000 }, async () => {
    // Warm up: the runtime's own lazily made threads and fds exist before the baseline.
    const warm = await factory();
    await lane(warm, 12, prng(seed ^ 0x5a5a));
    await warm.dispose();
    await settled();
    await macrotask();
    const before = processCounts();
    const startedBefore = nativeStats().started;

    const harness = await factory();
    const per = Math.ceil(total / lanes);
    const endings = await Promise.all(Array.from({ length: lanes }, (_, i) => lane(harness, per, prng(seed + i))));
    await harness.dispose();
    await settled();
    // Not all: a splice whose budget the bytes already buffered in userspace cover ends (max) before the thread is needed.
    expect(nativeStats().started - startedBefore, 'splices that took the kernel path').toBeGreaterThanOrEqual(total * 0.5);
    // Sockets close on the runtime's next turns: wait for the counts to come back, bounded.
    await until(() => {
      const now = processCounts();
      return now.fds <= before.fds && now.threads <= before.threads && now.pipes <= before.pipes;
    }, 20_000, 'fds, threads and pipes back to where they began').catch(() => {});
    const after = processCounts();
    expect(after, JSON.stringify({ before, after, endings: tally(endings.flat()) })).toEqual({
      fds: Math.min(after.fds, before.fds),
      threads: Math.min(after.threads, before.threads),
      pipes: Math.min(after.pipes, before.pipes),
    });
  });
}

const tally = (endings: string[]): Record<string, number> => endings.reduce<Record<string, number>>((t, e) => ((t[e] = (t[e] ?? 0) + 1), t), {});

/** Closes both ends of a side: a reset from the peer, and the endpoint's own close(). */
async function retire(side: Side): Promise<void> {
  await side.peer.reset().catch(() => {});
  // close() never rejects (docs/adapters.md), even after the reset.
  await withTimeout((side.endpoint as unknown as { close(): Promise<void> }).close(), 20_000, 'endpoint close()');
}

/** `n` splices on one pair of endpoints, replaced whenever an ending used them up. */
async function lane(harness: Awaited<ReturnType<HarnessFactory>>, n: number, rnd: (n: number) => number): Promise<string[]> {
  const seen: string[] = [];
  let a: Side = await harness.endpoint();
  let b: Side = await harness.endpoint();
  for (let i = 0; i < n; i++) {
    const ending = ENDINGS[rnd(ENDINGS.length)]!;
    const options: SpliceOptions = ending === 'idle' ? { idle: 1 + rnd(5) } : ending === 'max' ? { max: 1 + rnd(100_000) } : {};
    const s = spliceStreams(a.endpoint.readable, b.endpoint.writable, options);
    void a.peer.write(pattern(1 + rnd(200_000), i)).catch(() => {});
    // A random moment: at once, after some microtasks, or after some turns of the loop.
    const wait = rnd(4);
    if (wait === 1) await Promise.resolve();
    else if (wait === 2) await macrotask();
    else if (wait === 3) await sleep(rnd(3));
    let used = false;
    if (ending === 'unsplice') void s.unsplice();
    else if (ending === 'eof') {
      await a.peer.end();
      used = true;
    } else if (ending === 'reset-source') {
      await a.peer.reset();
      used = true;
    } else if (ending === 'reset-drain') {
      await b.peer.reset();
      used = true;
    }
    // max and idle may not come (too few bytes, no quiet moment): then the application unsplices.
    const result = await withTimeout(Promise.race([s.done, sleep(200).then(() => s.unsplice())]), 20_000, `splice ${i} (${ending})`);
    seen.push(`${ending}->${result.reason}`);
    // After EOF or an error the pair is used up; after max, idle or unsplice both ends live on.
    if (used || result.reason === 'eof' || result.reason === 'error') {
      await Promise.all([retire(a), retire(b)]);
      a = await harness.endpoint();
      b = await harness.endpoint();
    }
  }
  await Promise.all([retire(a), retire(b)]);
  return seen;
}
