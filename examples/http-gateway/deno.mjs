// http-gateway on Deno: deno run -A examples/http-gateway/deno.mjs --listen 127.0.0.1:8080 --target 127.0.0.1:3000 [--verbose]
import { connect, listen } from '@sosplice/deno-adapter';
import { main } from './main.mjs';

await main({ args: Deno.args, listen, connect, onSignal: (s, h) => Deno.addSignalListener(s, h), exit: (c) => Deno.exit(c) });
