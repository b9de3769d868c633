/**
 * A reset of the source while the kernel path runs, with megabytes still
 * queued in the source socket: the drain's peer gets a prefix of what the
 * source's peer sent, in order, as many bytes as the splice counted
 * (docs/contract.md#the-kernel-path; order preserved, nothing duplicated or
 * reordered). Bun reads a reset socket even while its reads are paused, at
 * the same time as the splice thread: the thread must deliver no byte it
 * read after the reset, or the drain gets a gap of the runtime's read
 * (512 KiB under Bun) followed by later bytes.
 *
 * Many rounds, each with the reset landing while the thread still has
 * megabytes to read, so the race is met in most rounds.
 */
import { expect, it } from 'vitest';
import { spliceStreams } from '@sosplice/core';
import type { HarnessFactory } from '../conformance/_harness';
import { expectBytes, macrotask, pattern, until, withTimeout } from '../harness/_util';

/** Rounds per run: before the fix, Bun reordered bytes in about one round in five. */
const ROUNDS = 24;
/** Queued in the source socket before the reset: more than one read of the thread's pipe and of Bun's buffer. */
const VOLUME = 6 << 20;
const T = 10_000;

export function describeResetOrder(factory: HarnessFactory): void {
  it(`a source reset mid-transfer never reorders the drain's bytes (${ROUNDS} rounds)`, { timeout: 120_000 }, async () => {
    const harness = await factory();
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const a = await harness.endpoint();
        const b = await harness.endpoint();
        const input = pattern(VOLUME, round + 1);
        const s = spliceStreams(a.endpoint.readable, b.endpoint.writable, { preventAbort: true });
        // Not awaited: the write stays partly queued in the peer's socket when the reset comes.
        const writing = a.peer.write(input).catch(() => {});
        // The reset lands at a different depth each round, while bytes are still flowing.
        await until(() => s.bytes >= (round % 6) * 65_536 + 1, T, 'the splice under way');
        await a.peer.reset();
        const result = await withTimeout(s.done, T, 'done after the source reset');
        await writing;
        expect(result.reason, `round ${round}`).toBe('error');
        await withTimeout(b.peer.receivedAtLeast(result.bytes), T, `drain peer receiving ${result.bytes} bytes`);
        await macrotask();
        expectBytes(b.peer.received(), input.subarray(0, result.bytes), `round ${round}: drain peer after a source reset`);
        await b.endpoint.writable.close();
      }
    } finally {
      await harness.dispose();
    }
  });
}
