/**
 * The adapter as a proxy (docs/contract.md#how-a-splice-ends, 6): a half-close travels and the answer
 * after it still arrives; many connections at once stay byte-exact; TLS and
 * Unix sockets behave as TCP does.
 */
import { describe, expect, it } from 'vitest';
import { checksum, concat, pattern, text, withTimeout } from '../harness/_util';
import { startProxy } from './_proxy';

const T = 10_000;

for (const direct of [true, false]) {
  for (const transport of ['tcp', 'tls', 'unix'] as const) {
    describe(`bun proxy, ${transport}, ${direct ? 'direct' : 'generic'} path`, () => {
      it("carries the client's FIN upstream, and the answer sent after it back", async () => {
        const rig = startProxy({
          direct,
          transport,
          onUpstream: (up) => {
            // The upstream answers only once it saw the client's FIN.
            void up.ended().then(async () => {
              await up.write(concat(text('answer to '), up.received()));
              await up.end();
            });
          },
        });
        try {
          const client = await rig.client();
          await client.write(text('question'));
          await client.end();
          await withTimeout(client.ended(), T, 'answer + FIN at the client');
          expect(new TextDecoder().decode(client.received())).toBe('answer to question');
          const [aToB, bToA] = await withTimeout(rig.pairs[0]!.done, T, 'both directions done');
          expect(aToB).toEqual({ reason: 'eof', bytes: 8 });
          expect(bToA).toEqual({ reason: 'eof', bytes: 18 });
        } finally {
          await rig.close();
        }
      });
    });
  }

  describe(`bun proxy, many connections, ${direct ? 'direct' : 'generic'} path`, () => {
    it('1,000 concurrent bidirectional splices arrive checksum-equal both ways', async () => {
      const COUNT = 1000;
      const SIZE = 16 * 1024;
      // The upstream echoes each connection's bytes back reversed in seed, then FINs after the client's FIN.
      const rig = startProxy({
        direct,
        onUpstream: (up) => {
          void up.ended().then(async () => {
            await up.write(pattern(SIZE, up.received()[0]! + 1000));
            await up.end();
          });
        },
      });
      try {
        const clients = [];
        for (let i = 0; i < COUNT; i++) clients.push(await rig.client());
        const inputs = clients.map((_, i) => concat(new Uint8Array([i % 251]), pattern(SIZE - 1, i)));
        await Promise.all(clients.map(async (c, i) => (await c.write(inputs[i]!), await c.end())));
        await withTimeout(Promise.all(clients.map((c) => c.ended())), 30_000, 'all answers');
        const results = await withTimeout(Promise.all(rig.pairs.map((p) => p.done)), T, 'all splices done');
        for (const [aToB, bToA] of results) {
          expect(aToB).toEqual({ reason: 'eof', bytes: SIZE });
          expect(bToA).toEqual({ reason: 'eof', bytes: SIZE });
        }
        // Upstream i saw exactly client i's bytes; client i got exactly upstream i's answer.
        const sent = new Set(inputs.map(checksum));
        for (const up of rig.upstreams) expect(sent.has(checksum(up.received()))).toBe(true);
        clients.forEach((c, i) => expect(checksum(c.received())).toBe(checksum(pattern(SIZE, (i % 251) + 1000))));
      } finally {
        await rig.close();
      }
    }, 60_000);
  });
}
