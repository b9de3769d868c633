/**
 * FreeBSD's throughput sweep (tests/sys/kern/so_splice.c): payloads of 1 B,
 * 1 KiB, 64 KiB, 1 MiB and 64 MiB through one splice between two loopback
 * sockets, each ending at the source's EOF with the exact count and a
 * checksum-equal copy at the far end. 1 GiB belongs to the long soak:
 * `pnpm soak:sweep` (SOSPLICE_SWEEP_GIB=1) adds it, on every runtime and path.
 */
import { describe, expect } from 'vitest';
import type { HarnessFactory } from '../conformance/_harness';
import { checksum, pattern, withTimeout } from '../harness/_util';
import { T, type RuntimeHooks } from './_common';
import { add, scenario, section as reportSection } from './_record';
import { section } from './_suite';

const LONG = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.SOSPLICE_SWEEP_GIB === '1';
const SIZES = [1, 1 << 10, 64 << 10, 1 << 20, 64 << 20, ...(LONG ? [1 << 30] : [])];
const NAMES = LONG ? '1 B, 1 KiB, 64 KiB, 1 MiB, 64 MiB, 1 GiB' : '1 B, 1 KiB, 64 KiB, 1 MiB, 64 MiB';

export function describeSweep(factory: HarnessFactory, label: string, hooks?: RuntimeHooks): void {
  describe(`${label} throughput sweep`, () => {
    reportSection('Throughput sweep');
    const ctx = section(factory, hooks);
    scenario(`${NAMES} through a splice: exact count, checksum-equal, EOF passed on`, ctx.path, async (fig) => {
      for (const size of SIZES) {
        const a = await ctx.side();
        const b = await ctx.side();
        const input = pattern(size, size % 251);
        const s = ctx.splice(a.endpoint.readable, b.endpoint.writable);
        await withTimeout(a.peer.write(input), LONG ? 300_000 : 60_000, `writing ${size} bytes`);
        await a.peer.end();
        expect(await withTimeout(s.done, LONG ? 300_000 : 60_000, `done after ${size} bytes`)).toEqual({ reason: 'eof', bytes: size });
        await withTimeout(b.peer.ended(), T, `the far end seeing EOF after ${size} bytes`);
        const got = b.peer.received();
        expect(got.byteLength, `bytes at the far end of a ${size} B transfer`).toBe(size);
        expect(checksum(got), `checksum of a ${size} B transfer`).toBe(checksum(input));
        add(fig, 'transfers', 1);
        add(fig, 'bytesChecked', size);
      }
    }, LONG ? 900_000 : 120_000);
  });
}
