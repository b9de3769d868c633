// The baseline: a hand-written UDP relay on Bun (data callback → send), one upstream socket per client.
const [listenPort, upstreamPort] = process.argv.slice(2).map(Number);
const clients = new Map();
const listener = await Bun.udpSocket({
  hostname: '127.0.0.1',
  port: listenPort,
  binaryType: 'uint8array',
  socket: {
    async data(_socket, message, port, address) {
      const key = `${address}|${port}`;
      let upstream = clients.get(key);
      if (upstream === undefined) {
        const opening = Bun.udpSocket({
          hostname: '127.0.0.1',
          port: 0,
          binaryType: 'uint8array',
          connect: { hostname: '127.0.0.1', port: upstreamPort },
          socket: { data: (_s, reply) => listener.send(reply, port, address) },
        });
        clients.set(key, opening);
        (await opening).send(message);
        return;
      }
      (await upstream).send(message);
    },
  },
});
console.log(`udp-relay listening on 127.0.0.1:${listener.port}`);
process.on('SIGINT', () => process.exit(0));
