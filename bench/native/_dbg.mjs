import { listen, connect } from '@sosplice/bun-adapter';
import { createRequire } from 'node:module';
const addon = createRequire(import.meta.url)('../../packages/native/dist/sosplice.node');
let done;
const l = listen({ hostname: '127.0.0.1', port: 0 }, async (client) => {
  const s = client.state.socket;
  console.log('accepted', s.fd, addon.check(s.fd), client.state.readEnded, client.state.isClosed, client.state.writeEnded);
  done();
});
const c = await connect({ hostname: '127.0.0.1', port: l.port });
console.log('client', c.state.socket.fd, addon.check(c.state.socket.fd));
await new Promise(r => done = r);
process.exit(0);
