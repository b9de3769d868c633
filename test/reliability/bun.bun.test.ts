/**
 * Reliability (issue 7) under Bun, over loopback TCP through
 * `@sosplice/bun-adapter`, on the direct dispatch path and the generic path.
 *
 * Bun lists no handles (`process.getActiveResourcesInfo()` is empty): open
 * sockets are counted from the kernel's view of this process (/proc/self/fd),
 * timers through the core's `idleClockStats()`, the heap after `Bun.gc(true)`.
 */
import { describe, expect } from 'vitest';
import { connect, wrap } from '@sosplice/bun-adapter';
import type { SpliceEndpoint } from '@sosplice/core';
import { bunHarness, type BunHarnessOptions, type BunSpliceSocket } from '../harness/bun';
import { codeOf, withTimeout } from '../harness/_util';
import { procSockets, type RuntimeHooks } from './_common';
import { describeReliability } from './_all';
import { describeSoak } from './_load';
import { add, scenario, section, writeResultsAfterAll } from './_record';

writeResultsAfterAll('bun');

type BunGlobal = { gc(force: boolean): void };
const hooks: RuntimeHooks = {
  onSocketWrite(endpoint: SpliceEndpoint, hook: (bytes: number) => void) {
    const socket = (endpoint as BunSpliceSocket).socket as unknown as { write(bytes: Uint8Array): number };
    const write = socket.write;
    socket.write = function (this: unknown, bytes: Uint8Array): number {
      const n = write.call(this, bytes);
      if (n > 0) hook(n);
      return n;
    };
  },
  openSockets: procSockets,
  activeHandles: () => [],
  async heapAfterGc() {
    const bun = (globalThis as unknown as { Bun: BunGlobal }).Bun;
    for (let i = 0; i < 3; i++) {
      bun.gc(true);
      await new Promise((r) => setTimeout(r, 10));
    }
    return process.memoryUsage().heapUsed;
  },
};

// The fault scenarios over TLS and Unix sockets too (TCP is the default). TLS
// joined once close() became bounded by its linger: a TLS drain closed
// mid-splice used to wait for its unwritten tail for ever.
// A short linger: the faults' peers never finish, so every close() runs to its linger (docs/adapters.md#closing).
const harness = (options: BunHarnessOptions) => bunHarness({ ...options, linger: 500 });
describeReliability('bun', harness, hooks, { kernel: true, faultTransports: ['tls', 'unix'] as const });

/** Adapter entry points given what is not an open socket: a coded error, and the caller's socket left alone. */
describe('bun:adapter bad input', () => {
  section('Bad input');
  const path = () => 'bun:adapter';
  type Raw = { terminate(): void; write(b: Uint8Array): number; readyState?: unknown };
  const bun = () => (globalThis as unknown as { Bun: { listen(o: object): { port: number; stop(f: boolean): void }; connect(o: object): Promise<Raw> } }).Bun;
  const server = () => bun().listen({ hostname: '127.0.0.1', port: 0, allowHalfOpen: true, socket: { data() {}, error() {} } });

  scenario('wrap(non-socket, listener): ERR_INVALID_ARG_TYPE', path, async (fig) => {
    const l = server();
    for (const value of [undefined, null, 42, {}, l]) {
      expect(codeOf(() => wrap(value as never))).toBe('ERR_INVALID_ARG_TYPE');
      add(fig, 'rejectedCalls', 1);
    }
    l.stop(true);
  });

  scenario('wrap(closed socket) fails with a code, no hang', path, async () => {
    const l = server();
    try {
      const raw = await bun().connect({ hostname: '127.0.0.1', port: l.port, socket: { data() {} } });
      raw.terminate();
      let endpoint;
      try {
        endpoint = wrap(raw as never);
      } catch (error) {
        expect((error as { code?: unknown }).code).toMatch(/^ERR_/);
      }
      if (endpoint !== undefined) {
        const failed = await withTimeout(endpoint.readable.getReader().read().then(() => undefined, (e: unknown) => e), 10_000, 'a read of a closed socket');
        expect((failed as { code?: unknown } | undefined)?.code).toMatch(/^(ERR_|E)[A-Z_]+$/);
      }
    } finally {
      l.stop(true);
    }
  });

  scenario('connect(bad options, refused port): a coded error, no socket left open', path, async (fig) => {
    const before = hooks.openSockets();
    const l = server();
    const port = l.port;
    l.stop(true);
    const refused = await connect({ hostname: '127.0.0.1', port } as never).then(() => undefined, (e: unknown) => e);
    expect((refused as { code?: unknown } | undefined)?.code, String(refused)).toMatch(/^(ERR_|E)[A-Z_]+$/);
    add(fig, 'rejectedCalls', 1);
    for (const options of [{ highWaterMark: 0 }, { highWaterMark: -1 }]) {
      const error = await connect({ hostname: '127.0.0.1', port, ...options } as never).then(() => undefined, (e: unknown) => e);
      expect((error as { code?: unknown } | undefined)?.code, String(error)).toMatch(/^(ERR_|E)[A-Z_]+$/);
      add(fig, 'rejectedCalls', 1);
    }
    await withTimeout(
      (async () => {
        while (hooks.openSockets() > before) await new Promise((r) => setTimeout(r, 5));
      })(),
      10_000,
      'sockets closed',
    );
  });
});

describeSoak('bun', 'bun');
