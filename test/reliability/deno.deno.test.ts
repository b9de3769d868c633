/**
 * Reliability (issue 7) under Deno, over loopback TCP through
 * `@sosplice/deno-adapter`, on the direct dispatch path and the generic path.
 *
 * Deno 2 has no `Deno.resources()`, and its `process.getActiveResourcesInfo()`
 * lists timers but not `Deno.Conn`s: open sockets are counted from the
 * kernel's view of this process (/proc/self/fd); the heap through V8's gc.
 */
import { describe, expect } from 'vitest';
import { connect, wrap } from '@sosplice/deno-adapter';
import type { SpliceEndpoint } from '@sosplice/core';
import { deno, denoHarness, type DenoSocket } from '../harness/deno';
import { codeOf, withTimeout } from '../harness/_util';
import { procSockets, v8HeapAfterGc, type RuntimeHooks } from './_common';
import { describeReliability } from './_all';
import { describeSoak } from './_load';
import { add, scenario, section, writeResultsAfterAll } from './_record';

writeResultsAfterAll('deno');

const hooks: RuntimeHooks = {
  onSocketWrite(endpoint: SpliceEndpoint, hook: (bytes: number) => void) {
    const conn = (endpoint as DenoSocket).socket as unknown as { write(bytes: Uint8Array): Promise<number> };
    const write = conn.write;
    conn.write = function (this: unknown, bytes: Uint8Array): Promise<number> {
      const written = write.call(this, bytes);
      hook(bytes.byteLength);
      return written;
    };
  },
  openSockets: procSockets,
  activeHandles: () => process.getActiveResourcesInfo(),
  heapAfterGc: v8HeapAfterGc,
};

describeReliability('deno', denoHarness, hooks, { faultTransports: ['tls', 'unix'] as const });

/** Adapter entry points given what is not an open conn: a coded error, and the caller's conn left alone. */
describe('deno:adapter bad input', () => {
  section('Bad input');
  const path = () => 'deno:adapter';
  const coded = (e: unknown): unknown => (e as { code?: unknown } | undefined)?.code;

  scenario('wrap(non-conn, listener, bad options): coded throw, the conn stays open', path, async (fig) => {
    const l = deno().listen({ hostname: '127.0.0.1', port: 0 });
    for (const value of [undefined, null, 42, {}, l]) {
      expect(codeOf(() => wrap(value as never))).toBe('ERR_INVALID_ARG_TYPE');
      add(fig, 'rejectedCalls', 1);
    }
    const conn = await deno().connect({ hostname: '127.0.0.1', port: l.addr.port! });
    const peer = await l.accept();
    for (const options of [42, { highWaterMark: 0 }, { linger: -1 }, { highWaterMark: 1.5 }, { direct: 'yes' }]) {
      expect(['ERR_INVALID_ARG_TYPE', 'ERR_OUT_OF_RANGE']).toContain(codeOf(() => wrap(conn, options as never)));
      add(fig, 'rejectedCalls', 1);
    }
    // Still open: it can be wrapped and used.
    const endpoint = wrap(conn);
    const w = endpoint.writable.getWriter();
    await withTimeout(w.write(new Uint8Array([1, 2, 3])), 10_000, 'write');
    expect(await peer.read(new Uint8Array(8))).toBe(3);
    w.releaseLock();
    await endpoint.close();
    peer.close();
    l.close();
  });

  scenario('wrap(half-open conn): EOF at once, writes still reach the peer', path, async () => {
    const l = deno().listen({ hostname: '127.0.0.1', port: 0 });
    const conn = await deno().connect({ hostname: '127.0.0.1', port: l.addr.port! });
    const peer = await l.accept();
    await peer.closeWrite();
    const endpoint = wrap(conn);
    expect((await withTimeout(endpoint.readable.getReader().read(), 10_000, 'EOF')).done).toBe(true);
    const w = endpoint.writable.getWriter();
    await withTimeout(w.write(new Uint8Array([9])), 10_000, 'write after EOF');
    expect(await peer.read(new Uint8Array(8))).toBe(1);
    w.releaseLock();
    await endpoint.close();
    peer.close();
    l.close();
  });

  scenario('wrap(closed conn) fails with a code', path, async () => {
    const l = deno().listen({ hostname: '127.0.0.1', port: 0 });
    const conn = await deno().connect({ hostname: '127.0.0.1', port: l.addr.port! });
    const peer = await l.accept();
    conn.close();
    try {
      let endpoint;
      try {
        endpoint = wrap(conn);
      } catch (error) {
        expect(coded(error)).toMatch(/^ERR_/);
      }
      if (endpoint !== undefined) {
        const failed = await withTimeout(endpoint.readable.getReader().read().then(() => undefined, (e: unknown) => e), 10_000, 'read');
        expect(coded(failed)).toMatch(/^(ERR_|E)[A-Z_]+$/);
      }
    } finally {
      peer.close();
      l.close();
    }
  });

  scenario('connect(bad options, refused port): a coded error, no conn left open', path, async (fig) => {
    const before = hooks.openSockets();
    const l = deno().listen({ hostname: '127.0.0.1', port: 0 });
    const port = l.addr.port!;
    l.close();
    for (const options of [{ hostname: '127.0.0.1', port }, { hostname: '127.0.0.1', port, highWaterMark: 0 }, null]) {
      const error = await Promise.resolve()
        .then(() => connect(options as never))
        .then(() => undefined, (e: unknown) => e);
      expect(coded(error), String(error)).toMatch(/^(ERR_|E)[A-Z_]+$/);
      add(fig, 'rejectedCalls', 1);
    }
    await withTimeout(
      (async () => {
        while (hooks.openSockets() > before) await new Promise((r) => setTimeout(r, 5));
      })(),
      10_000,
      'conns closed',
    );
  });
});

describeSoak('deno', 'deno');
