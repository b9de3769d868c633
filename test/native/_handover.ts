/**
 * docs/contract.md#the-kernel-path: a splice starts on the adapter's JS direct path and is handed
 * to the kernel path once it moved `kernelAfter()` bytes, so that a short
 * connection never pays for the hand-over. Every promise holds across it:
 * bytes in order and exact, `max` exact with the rest left in the source,
 * EOF carried. Shared by the Node and Bun entry files.
 */
import { afterEach, expect, it } from 'vitest';
import { spliceBidirectional, spliceStreams, type SpliceOptions, type SpliceResult } from '@sosplice/core';
import { KERNEL_AFTER_DEFAULT, kernelAfter, nativeStats, setKernelAfter } from '@sosplice/native';
import type { HarnessFactory, Peer } from '../conformance/_harness';
import type { SpliceEndpoint } from '@sosplice/core';
import { expectBytes, pattern, readAtLeast, withTimeout } from '../harness/_util';

type Side = { endpoint: SpliceEndpoint; peer: Peer };
type Level = 'streams' | 'endpoints';

const AFTER = 32_768;

/**
 * With `setKernelAfter(AFTER)`: sends `size` bytes into `a` in 8 KiB writes,
 * spliced from `a` into `b` at `level` with `options`; ends the input unless
 * `max` cuts it. Returns the result, the kernel splices started meanwhile,
 * and what `b`'s peer got.
 */
async function transfer(factory: HarnessFactory, level: Level, size: number, options: SpliceOptions = {}, check?: (a: Side, input: Uint8Array) => Promise<void>): Promise<{ result: SpliceResult; kernel: number; received: Uint8Array; input: Uint8Array }> {
  const harness = await factory();
  // After the harness, which sets 0 for the conformance suite.
  setKernelAfter(AFTER);
  try {
    const a = await harness.endpoint();
    const b = await harness.endpoint();
    const before = nativeStats().started;
    const input = pattern(size, 7);
    const done =
      level === 'streams'
        ? spliceStreams(a.endpoint.readable, b.endpoint.writable, options).done
        : spliceBidirectional(a.endpoint, b.endpoint, options).aToB.done;
    for (let at = 0; at < size; at += 8192) await a.peer.write(input.subarray(at, Math.min(size, at + 8192)));
    if (options.max === undefined) await a.peer.end();
    const result = await withTimeout(done, 20_000, 'splice');
    const expected = Math.min(size, options.max ?? size);
    await withTimeout(b.peer.receivedAtLeast(expected), 20_000, 'the drain peer');
    await check?.(a, input);
    return { result, kernel: nativeStats().started - before, received: b.peer.received(), input };
  } finally {
    await harness.dispose();
  }
}

export function describeHandover(plain: HarnessFactory): void {
  afterEach(() => setKernelAfter(0));

  it(`waits for ${KERNEL_AFTER_DEFAULT / 1024} KiB by default, and refuses a bad setting with a coded error`, () => {
    setKernelAfter(KERNEL_AFTER_DEFAULT);
    expect(kernelAfter()).toBe(65_536);
    expect(() => setKernelAfter('1' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"bytes"') }));
    expect(() => setKernelAfter(-1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('-1') }));
    expect(() => setKernelAfter(1.5)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(kernelAfter()).toBe(65_536);
  });

  for (const level of ['streams', 'endpoints'] as const) {
    it(`${level}: a splice shorter than kernelAfter() (32 KiB here) stays on the JS direct path`, async () => {
      const { result, kernel, received, input } = await transfer(plain, level, 16_384);
      expect(result).toMatchObject({ reason: 'eof', bytes: 16_384 });
      expectBytes(received, input);
      expect(kernel).toBe(0);
    });

    it(`${level}: a longer one is handed to the kernel path mid-flow, every byte in order`, async () => {
      const size = 1024 * 1024;
      const { result, kernel, received, input } = await transfer(plain, level, size);
      expect(result).toMatchObject({ reason: 'eof', bytes: size });
      expectBytes(received, input);
      expect(kernel).toBe(1);
    });

    it(`${level}: max past the hand-over is exact, and the source's next bytes are the ones after it`, async () => {
      const max = 200_000;
      const { result, kernel, received, input } = await transfer(plain, level, 262_144, { max }, async (a, sent) => {
        const next = await readAtLeast(a.endpoint.readable, 1000);
        expectBytes(next.subarray(0, 1000), sent.subarray(max, max + 1000), 'the bytes after max');
      });
      expect(result).toMatchObject({ reason: 'max', bytes: max });
      expectBytes(received, input.subarray(0, max));
      expect(kernel).toBe(1);
    });

    it(`${level}: max below kernelAfter() (32 KiB here) never asks the kernel path`, async () => {
      const { result, kernel, received, input } = await transfer(plain, level, 65_536, { max: 20_000 });
      expect(result).toMatchObject({ reason: 'max', bytes: 20_000 });
      expectBytes(received, input.subarray(0, 20_000));
      expect(kernel).toBe(0);
    });
  }
}
