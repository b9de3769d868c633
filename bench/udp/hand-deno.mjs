// The baseline: a hand-written UDP relay on Deno (receive loop → send), one upstream socket per client.
const [listenPort, upstreamPort] = Deno.args.map(Number);
const listener = Deno.listenDatagram({ hostname: '127.0.0.1', port: listenPort, transport: 'udp' });
const upstreamAddr = { transport: 'udp', hostname: '127.0.0.1', port: upstreamPort };
const clients = new Map();
console.log(`udp-relay listening on 127.0.0.1:${listener.addr.port}`);
Deno.addSignalListener('SIGINT', () => Deno.exit(0));
for await (const [message, from] of listener) {
  const key = `${from.hostname}|${from.port}`;
  let upstream = clients.get(key);
  if (upstream === undefined) {
    upstream = Deno.listenDatagram({ hostname: '127.0.0.1', port: 0, transport: 'udp' });
    clients.set(key, upstream);
    (async () => {
      for await (const [reply] of upstream) await listener.send(reply, from);
    })();
  }
  await upstream.send(message, upstreamAddr);
}
