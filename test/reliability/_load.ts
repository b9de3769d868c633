/**
 * Load and leaks (issue 7): 1,000 concurrent bidirectional splices and a
 * run of short connections in sequence through one harness, every byte
 * checksum-checked; afterwards the adapter closed every socket itself, and
 * the runtime reports no socket, handle or idle timer left, and the heap is
 * back near where it started.
 */
import { describe, expect } from 'vitest';
import { idleClockStats, spliceBidirectional } from '@sosplice/core';
import type { SpliceEndpoint, SplicePair } from '@sosplice/core';
import type { HarnessFactory, Peer } from '../conformance/_harness';
import { checksum, pattern, until, withTimeout } from '../harness/_util';
import { prng, T, type RuntimeHooks } from './_common';
import { scenario, section as reportSection } from './_record';

/** Heap after GC may grow by this share of the baseline (issue 7), plus this many bytes of runner noise. */
const HEAP_TOLERANCE = 0.1;
const HEAP_SLACK = 1 << 20;

export interface LoadOptions {
  /** Concurrent bidirectional splices. */
  pairs: number;
  /** Short connections in sequence. */
  sequential: number;
}

type Side = { endpoint: SpliceEndpoint; peer: Peer };
const closedOf = (e: SpliceEndpoint): Promise<void> => (e as SpliceEndpoint & { closed: Promise<void> }).closed.catch(() => {});

/** One proxied connection: both peers send, then FIN; both directions end at EOF with every byte. */
async function exchange(p: SplicePair, a: Side, b: Side, seed: number, rnd: ReturnType<typeof prng>): Promise<number> {
  const x = pattern(rnd.int(1, 8192), seed);
  const y = pattern(rnd.int(1, 8192), seed + 1);
  await Promise.all([a.peer.write(x).then(() => a.peer.end()), b.peer.write(y).then(() => b.peer.end())]);
  const [ab, ba] = await withTimeout(p.done, 30_000, `pair ${seed} done`);
  await Promise.all([withTimeout(a.peer.ended(), T, 'a ended'), withTimeout(b.peer.ended(), T, 'b ended')]);
  expect([ab.reason, ba.reason]).toEqual(['eof', 'eof']);
  expect(checksum(b.peer.received())).toBe(checksum(x));
  expect(checksum(a.peer.received())).toBe(checksum(y));
  return x.byteLength + y.byteLength;
}

/** What the runtime holds now, for before/after comparisons. */
async function snapshot(hooks: RuntimeHooks) {
  return {
    sockets: hooks.openSockets(),
    handles: hooks.activeHandles().filter((h) => !/timeout|timer|immediate/i.test(h)).sort(),
    heap: await hooks.heapAfterGc(),
  };
}

async function expectNothingLeft(hooks: RuntimeHooks, before: Awaited<ReturnType<typeof snapshot>>, fig: Record<string, number>): Promise<void> {
  // Closing is asynchronous in every runtime: wait (bounded) for the counts to come back.
  await until(() => hooks.openSockets() <= before.sockets, T, `open sockets back to ${before.sockets} (now ${hooks.openSockets()})`);
  await until(() => idleClockStats().watched === 0 && !idleClockStats().timerArmed, T, 'idle clock empty');
  const after = await snapshot(hooks);
  expect(after.sockets).toBeLessThanOrEqual(before.sockets);
  // No kind of handle is held more often than before (timers aside: the runner has its own).
  const count = (list: string[]) => list.reduce((m, h) => m.set(h, (m.get(h) ?? 0) + 1), new Map<string, number>());
  const was = count(before.handles);
  for (const [h, n] of count(after.handles)) expect(n, `${h} handles left`).toBeLessThanOrEqual(was.get(h) ?? 0);
  fig.socketsAfter = after.sockets - before.sockets;
  if (before.heap !== undefined && after.heap !== undefined) {
    fig.heapGrowthPct = Math.round(((after.heap - before.heap) / before.heap) * 1000) / 10;
    expect(after.heap, `heap ${after.heap} vs ${before.heap} at the start`).toBeLessThanOrEqual(before.heap * (1 + HEAP_TOLERANCE) + HEAP_SLACK);
  }
}

export function describeLoad(factory: HarnessFactory, label: string, hooks: RuntimeHooks, options: LoadOptions, seed = 23): void {
  describe(`${label} load`, () => {
    reportSection('Load and leaks');
    let name = 'unknown';

    scenario(`${options.pairs.toLocaleString('en')} concurrent bidirectional splices, then nothing left`, () => name, async (fig) => {
      const rnd = prng(seed);
      // Warm up (code loaded, pools filled) so the baseline is the steady state.
      {
        const warm = await factory();
        const a = await warm.endpoint();
        const b = await warm.endpoint();
        await exchange(spliceBidirectional(a.endpoint, b.endpoint, { idle: 60_000 }), a, b, 1, rnd);
        await warm.dispose();
      }
      const before = await snapshot(hooks);
      const harness = await factory();
      name = harness.name;
      const ends: Array<[Side, Side, SplicePair]> = [];
      try {
        for (let i = 0; i < options.pairs; i++) {
          const a = await harness.endpoint();
          const b = await harness.endpoint();
          // An idle timeout on every direction: the shared clock holds them all.
          ends.push([a, b, spliceBidirectional(a.endpoint, b.endpoint, { idle: 60_000 })]);
        }
        fig.splicesHeld = ends.length * 2;
        fig.socketsHeld = hooks.openSockets() - before.sockets;
        fig.idleWatched = idleClockStats().watched;
        const bytes = await Promise.all(ends.map(([a, b, p], i) => exchange(p, a, b, seed + 2 * i, rnd)));
        fig.bytesChecked = bytes.reduce((s, n) => s + n, 0);
        // docs/adapters.md: the adapter closes each socket once both directions are finished.
        await withTimeout(Promise.all(ends.flatMap(([a, b]) => [closedOf(a.endpoint), closedOf(b.endpoint)])), T, 'every proxy socket closed');
      } finally {
        ends.length = 0;
        await harness.dispose();
      }
      await expectNothingLeft(hooks, before, fig);
    }, 120_000);

    scenario(`${options.sequential.toLocaleString('en')} short connections in sequence, then nothing left`, () => name, async (fig) => {
      const rnd = prng(seed + 1);
      const before = await snapshot(hooks);
      const harness = await factory();
      name = harness.name;
      let bytes = 0;
      try {
        for (let i = 0; i < options.sequential; i++) {
          const a = await harness.endpoint();
          const b = await harness.endpoint();
          bytes += await exchange(spliceBidirectional(a.endpoint, b.endpoint, { idle: 60_000 }), a, b, seed + 2 * i, rnd);
          await withTimeout(Promise.all([closedOf(a.endpoint), closedOf(b.endpoint)]), T, 'proxy sockets closed');
        }
      } finally {
        await harness.dispose();
      }
      fig.connections = options.sequential;
      fig.bytesChecked = bytes;
      await expectNothingLeft(hooks, before, fig);
    }, 120_000);
  });
}

/**
 * The short form of `scripts/soak.mjs` (1,000 short connections in
 * sequence, a 2 s stalled drain) in a child process of this runtime, where
 * GC can be forced: the heap figure is then exact. The full soak
 * (`--full`: 10,000 connections, 10 s) is a separate command.
 */
export function describeSoak(runtimeName: 'node' | 'bun' | 'deno', label: string): void {
  describe(`${label} soak`, () => {
    reportSection('Load and leaks');
    for (const path of ['direct', 'generic'] as const) {
      scenario(
        'soak, short form: 1,000 short connections in sequence + a 2 s stalled drain (child process)',
        () => `${runtimeName}:tcp:${path}`,
        async (fig) => {
          const { spawn } = await import('node:child_process');
          const script = new URL('../../scripts/soak.mjs', import.meta.url).pathname;
          const flags = runtimeName === 'node' ? ['--expose-gc'] : runtimeName === 'deno' ? ['run', '-A', '--v8-flags=--expose-gc'] : [];
          const args = [...flags, script, '--connections', '1000', '--stall-ms', '2000', '--json', ...(path === 'generic' ? ['--generic'] : [])];
          const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
          let out = '';
          let err = '';
          child.stdout.on('data', (d: Uint8Array) => (out += String(d)));
          child.stderr.on('data', (d: Uint8Array) => (err += String(d)));
          const code = await withTimeout(
            new Promise<number | null>((resolve) => child.on('close', resolve)),
            90_000,
            'soak child process',
          ).finally(() => {
            if (child.exitCode === null) child.kill();
          });
          const line = out.trim().split('\n').pop() ?? '';
          let report: { ok: boolean; failures: string[]; figures: Record<string, unknown> } | undefined;
          try {
            report = JSON.parse(line);
          } catch {
            expect.fail(`soak printed no JSON (exit ${code}): ${out.slice(-500)} ${err.slice(-500)}`);
          }
          for (const [k, v] of Object.entries(report!.figures)) if (typeof v === 'number') fig[k] = v;
          expect(report!.failures).toEqual([]);
          expect(code).toBe(0);
        },
        120_000,
      );
    }
  });
}
