/**
 * docs/contract.md#the-kernel-path: the kernel path is used automatically when both ends qualify,
 * never for TLS, can be turned off per endpoint and per process, and says
 * whether it is available. Shared by the Node and Bun entry files.
 */
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { spliceStreams, type SpliceEndpoint } from '@sosplice/core';
import { nativeStats, nativeStatus, setNativeEnabled } from '@sosplice/native';
import type { HarnessFactory } from '../conformance/_harness';
import { pattern, withTimeout } from '../harness/_util';

/** Splices 64 KiB from a fresh endpoint into another; returns how many kernel splices started meanwhile. */
async function kernelSplicesFor(factory: HarnessFactory, prepare: (a: SpliceEndpoint, b: SpliceEndpoint) => void = () => {}): Promise<number> {
  const harness = await factory();
  try {
    const a = await harness.endpoint();
    const b = await harness.endpoint();
    prepare(a.endpoint, b.endpoint);
    const before = nativeStats().started;
    const s = spliceStreams(a.endpoint.readable, b.endpoint.writable);
    const input = pattern(65_536, 3);
    await a.peer.write(input);
    await a.peer.end();
    expect(await withTimeout(s.done, 10_000, 'splice')).toMatchObject({ reason: 'eof', bytes: input.byteLength });
    return nativeStats().started - before;
  } finally {
    await harness.dispose();
  }
}

/** Runs everywhere: on Linux with a compiler, a missing addon is a failed build, not a fallback. */
export function describeAvailability(): void {
  it('is available on Linux where a C compiler built the addon', () => {
    const cc = spawnSync(process.env.CC || 'cc', ['--version'], { stdio: 'ignore' }).status === 0;
    const status = nativeStatus();
    if (process.platform === 'linux' && cc && process.env.SOSPLICE_NATIVE !== '0' && process.env.SOSPLICE_NATIVE_ADDON === undefined) {
      expect(status, status.reason).toMatchObject({ available: true, enabled: true });
    }
    expect(typeof status.reason).toBe('string');
  });
}

export function describeSwitches(plain: HarnessFactory, tls: HarnessFactory): void {
  it('takes the kernel path when both ends are plain sockets', async () => {
    expect(await kernelSplicesFor(plain)).toBe(1);
  });

  it('never takes it for TLS sockets (their bytes are ciphertext)', async () => {
    expect(await kernelSplicesFor(tls)).toBe(0);
  });

  it('can be turned off per endpoint: setNativeEnabled(false, endpoint)', async () => {
    expect(await kernelSplicesFor(plain, (a) => setNativeEnabled(false, a))).toBe(0);
    expect(await kernelSplicesFor(plain, (a, b) => (setNativeEnabled(false, b), setNativeEnabled(true, b)))).toBe(1);
  });

  it('can be turned off for the process: setNativeEnabled(false)', async () => {
    try {
      const off = await kernelSplicesFor(plain, () => {
        setNativeEnabled(false);
        expect(nativeStatus().enabled).toBe(false);
      });
      expect(off).toBe(0);
    } finally {
      setNativeEnabled(true);
    }
    expect(await kernelSplicesFor(plain)).toBe(1);
  });

  it('refuses a non-boolean switch with a coded TypeError', () => {
    expect(() => setNativeEnabled('no' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => setNativeEnabled(false, 42 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
}
