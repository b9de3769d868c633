/**
 * The hand-written Deno proxy, the baseline of every Deno benchmark: one
 * `read()` / `write()` loop per direction over one 64 KiB buffer. It
 * survives half-close: a direction that reads EOF calls `closeWrite()` on
 * the other conn and the other direction goes on; both conns are closed once
 * both directions are done, or at the first error (which also ends the
 * other direction's pending read, so nothing is left waiting).
 *
 * Imported by `_proxy-child.ts` (bytes benchmark); run alone it is a proxy
 * with the `sosplice` command's command line and one log line per
 * connection (the connection benchmarks drive both the same way):
 *   deno run -A bench/deno/_hand-proxy.ts --listen 127.0.0.1:0 --target 127.0.0.1:PORT
 * It imports nothing but node:util, so it runs without the bench's Deno config.
 */
import { parseArgs } from 'node:util';

/** The part of `Deno.Conn` the loop uses. */
export interface LoopConn {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
}

async function copy(from: LoopConn, to: LoopConn): Promise<number> {
  const buf = new Uint8Array(65536);
  let bytes = 0;
  for (;;) {
    const n = await from.read(buf);
    if (n === null) break;
    for (let off = 0; off < n; ) off += await to.write(buf.subarray(off, n));
    bytes += n;
  }
  await to.closeWrite();
  return bytes;
}

/**
 * Forwards both directions between `client` and `upstream` until both ended;
 * resolves to the bytes each way, or `undefined` when it ended by an error.
 */
export async function relay(client: LoopConn, upstream: LoopConn): Promise<{ up: number; down: number } | undefined> {
  try {
    // Promise.all rejects at the first error; closing both conns below then ends the other loop too.
    const [up, down] = await Promise.all([copy(client, upstream), copy(upstream, client)]);
    return { up, down };
  } catch {
    return undefined;
  } finally {
    for (const conn of [client, upstream]) {
      try {
        conn.close();
      } catch {} // already closed
    }
  }
}

type Addr = { hostname: string; port: number };
type DenoNet = {
  listen(o: Addr): AsyncIterable<LoopConn & { remoteAddr: Addr }> & { addr: Addr };
  connect(o: Addr): Promise<LoopConn>;
  addSignalListener(signal: string, fn: () => void): void;
  exit(code: number): never;
};

if ((import.meta as { main?: boolean }).main) {
  const D = (globalThis as unknown as { Deno: DenoNet }).Deno;
  // Only --listen and --target matter; the proxy's other flags are accepted and ignored.
  const { values } = parseArgs({ options: { listen: { type: 'string' }, target: { type: 'string' } }, strict: false });
  const split = (text: unknown): Addr => {
    const at = String(text).lastIndexOf(':');
    return { hostname: String(text).slice(0, at), port: Number(String(text).slice(at + 1)) };
  };
  const target = split(values.target);
  const listener = D.listen(split(values.listen ?? '127.0.0.1:0'));
  console.log(`listening on ${listener.addr.hostname}:${listener.addr.port}, forwarding to ${values.target}`);
  D.addSignalListener('SIGINT', () => D.exit(0));
  const serve = async (client: LoopConn & { remoteAddr: Addr }) => {
    let upstream: LoopConn;
    try {
      upstream = await D.connect(target);
    } catch {
      return client.close();
    }
    const r = await relay(client, upstream);
    const peer = `${client.remoteAddr.hostname}:${client.remoteAddr.port}`;
    console.log(r ? `${peer} up ${r.up} B (eof), down ${r.down} B (eof), 0.000 s` : `${peer} error`);
  };
  for await (const client of listener) void serve(client);
}
