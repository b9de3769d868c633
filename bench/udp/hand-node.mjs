// The baseline: a hand-written UDP relay on Node (receive callback → send), one upstream socket per client.
import dgram from 'node:dgram';

const [listenPort, upstreamPort] = process.argv.slice(2).map(Number);
const listener = dgram.createSocket('udp4');
const clients = new Map();
listener.on('message', (message, from) => {
  const key = `${from.address}|${from.port}`;
  let upstream = clients.get(key);
  if (upstream === undefined) {
    upstream = dgram.createSocket('udp4');
    upstream.connect(upstreamPort, '127.0.0.1');
    upstream.on('message', (reply) => listener.send(reply, from.port, from.address));
    clients.set(key, upstream);
    upstream.once('connect', () => upstream.send(message));
    return;
  }
  upstream.send(message);
});
listener.bind(listenPort, '127.0.0.1', () => console.log(`udp-relay listening on 127.0.0.1:${listener.address().port}`));
process.on('SIGINT', () => process.exit(0));
