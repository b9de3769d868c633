// udp-relay on Bun: bun examples/udp-relay/bun.mjs --listen 127.0.0.1:5353 --upstream 127.0.0.1:53 --idle 30000
import { bindDatagram, connectDatagram } from '@sosplice/bun-adapter';
import { main } from './relay.mjs';

await main({ args: process.argv.slice(2), bindDatagram, connectDatagram, onSignal: (s, h) => process.on(s, h), exit: (c) => process.exit(c) });
