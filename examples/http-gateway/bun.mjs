// http-gateway on Bun: bun examples/http-gateway/bun.mjs --listen 127.0.0.1:8080 --target 127.0.0.1:3000 [--verbose]
import { connect, listen } from '@sosplice/bun-adapter';
import { main } from './main.mjs';

await main({ args: process.argv.slice(2), listen, connect, onSignal: (s, h) => process.on(s, h), exit: (c) => process.exit(c) });
