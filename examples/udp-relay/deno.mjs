// udp-relay on Deno: deno run -A --unstable-net examples/udp-relay/deno.mjs --listen 127.0.0.1:5353 --upstream 127.0.0.1:53 --idle 30000
import { bindDatagram, connectDatagram } from '@sosplice/deno-adapter';
import { main } from './relay.mjs';

await main({ args: Deno.args, bindDatagram, connectDatagram, onSignal: (s, h) => Deno.addSignalListener(s, h), exit: (c) => Deno.exit(c) });
