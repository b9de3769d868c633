// Full load for the udp-relay example (the test runs a tenth of it):
// node examples/udp-relay/load.mjs [node|bun|deno ...]   (after `pnpm build`)
// 100,000 datagrams from 100 clients through the relay under each runtime;
// checks every one is forwarded or counted as dropped and no socket is left.
import { RUNTIMES, runtimeBinary } from '../_runtimes.mjs';
import { parseClientLine, runClients, startEcho, startRelay } from './_load.mjs';

const CLIENTS = 100;
const PER_CLIENT = 1_000;
let failed = false;
for (const runtime of process.argv.length > 2 ? process.argv.slice(2) : RUNTIMES) {
  if (runtimeBinary(runtime) === undefined) continue;
  const echo = await startEcho();
  const relay = await startRelay(runtime, echo.port, 500);
  const before = relay.sockets();
  const started = performance.now();
  const { sent, echoed } = await runClients({ relayPort: relay.port, clients: CLIENTS, perClient: PER_CLIENT, window: 2 });
  const seconds = (performance.now() - started) / 1000;
  const rows = () => relay.lines.map(parseClientLine).filter((x) => x !== null);
  const accounted = () => rows().reduce((s, r) => s + r.up + r.dropped, 0);
  await relay.until(() => accounted() >= sent, 60_000, 'every datagram in a client line').catch((e) => console.error(e.message));
  for (let i = 0; i < 100 && relay.sockets() !== before; i++) await new Promise((r) => setTimeout(r, 50));
  const up = rows().reduce((s, r) => s + r.up, 0);
  const dropped = rows().reduce((s, r) => s + r.dropped, 0);
  const left = relay.sockets() - before;
  const ok = up + dropped === sent && echo.received === up && echoed <= up && left === 0;
  failed ||= !ok;
  console.log(`${runtime}: sent ${sent}, forwarded ${up}, dropped (counted) ${dropped}, echoed back ${echoed}, sockets left ${left}, ${seconds.toFixed(1)} s, ${Math.round(sent / seconds)} datagrams/s round trip: ${ok ? 'ok' : 'FAILED'}`);
  await relay.stop();
  await echo.close();
}
process.exit(failed ? 1 : 0);
