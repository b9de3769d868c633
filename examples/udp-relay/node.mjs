// udp-relay on Node: node examples/udp-relay/node.mjs --listen 127.0.0.1:5353 --upstream 127.0.0.1:53 --idle 30000
import { bindDatagram, connectDatagram } from '@sosplice/node-adapter';
import { main } from './relay.mjs';

await main({ args: process.argv.slice(2), bindDatagram, connectDatagram, onSignal: (s, h) => process.on(s, h), exit: (c) => process.exit(c) });
