/**
 * The hand-written Bun proxy, the baseline of every Bun benchmark:
 * `Bun.listen` / `Bun.connect`, `data` → `write`, keep the unwritten tail,
 * pause the source, resume on `drain`; a FIN half-closes the other side.
 *
 * Imported by `_proxy-child.ts` (bytes benchmark); run alone it is a proxy
 * with the `sosplice` command's command line and one log line per
 * connection (the connection benchmarks drive both the same way):
 *   bun bench/bun/_hand-proxy.ts --listen 127.0.0.1:0 --target 127.0.0.1:PORT
 */
import { parseArgs } from 'node:util';

type Sock = {
  data: { peer?: Sock; pending?: Uint8Array[]; bytes: number; closed?: boolean; onClosed?: () => void };
  write(d: Uint8Array): number;
  pause(): void;
  resume(): void;
  shutdown(): void;
  end(): void;
  readonly remoteAddress: string;
  readonly remotePort: number;
};
type BunNet = { listen(o: unknown): { port: number }; connect(o: unknown): Promise<Sock> };

const handlers = {
  data(s: Sock, d: Uint8Array) {
    s.data.bytes += d.byteLength;
    const peer = s.data.peer!;
    const pending = peer.data.pending;
    if (pending !== undefined && pending.length > 0) {
      pending.push(d);
      return;
    }
    const n = peer.write(d);
    if (n < d.byteLength) {
      peer.data.pending = [d.subarray(Math.max(n, 0))];
      s.pause();
    }
  },
  drain(s: Sock) {
    const pending = s.data.pending;
    while (pending !== undefined && pending.length > 0) {
      const head = pending[0]!;
      const n = s.write(head);
      if (n < head.byteLength) {
        pending[0] = head.subarray(Math.max(n, 0));
        return;
      }
      pending.shift();
    }
    s.data.peer?.resume();
  },
  end(s: Sock) {
    s.data.peer?.shutdown();
  },
  close(s: Sock) {
    s.data.closed = true;
    s.data.onClosed?.();
    s.data.peer?.end();
  },
  error() {},
};

/**
 * Listens on `hostname:port` and forwards each client to `target`; resolves
 * to the listening port. `onOpen` runs per client, `onDone(client, upstream)`
 * once both of its sockets closed, with the client's address (taken at open:
 * Bun forgets it at close) and each socket's received byte count.
 */
export function handProxy(
  { hostname, port, target }: { hostname: string; port: number; target: { hostname: string; port: number } },
  { onOpen, onDone }: { onOpen?: () => void; onDone?: (peer: string, upBytes: number, downBytes: number) => void } = {},
): number {
  const bun = (globalThis as unknown as { Bun: BunNet }).Bun;
  const server = bun.listen({
    hostname,
    port,
    allowHalfOpen: true,
    socket: {
      ...handlers,
      open(down: Sock) {
        onOpen?.();
        down.data = { bytes: 0 };
        down.pause(); // until the upstream is there to take the bytes
        const data = { peer: down, bytes: 0 } as Sock['data'];
        if (onDone !== undefined) {
          const peer = `${down.remoteAddress}:${down.remotePort}`;
          down.data.onClosed = data.onClosed = () => down.data.closed && data.closed && onDone(peer, down.data.bytes, data.bytes);
        }
        bun.connect({ hostname: target.hostname, port: target.port, allowHalfOpen: true, data, socket: handlers }).then(
          (up) => {
            down.data.peer = up;
            down.resume();
          },
          () => down.end(),
        );
      },
    },
  });
  return server.port;
}

if ((import.meta as { main?: boolean }).main) {
  // Only --listen and --target matter; the proxy's other flags are accepted and ignored.
  const { values } = parseArgs({ options: { listen: { type: 'string' }, target: { type: 'string' } }, strict: false });
  const split = (text: unknown) => {
    const at = String(text).lastIndexOf(':');
    return { hostname: String(text).slice(0, at), port: Number(String(text).slice(at + 1)) };
  };
  const listen = split(values.listen ?? '127.0.0.1:0');
  const port = handProxy(
    { ...listen, target: split(values.target) },
    { onDone: (peer, up, down) => console.log(`${peer} up ${up} B (eof), down ${down} B (eof), 0.000 s`) },
  );
  console.log(`listening on ${listen.hostname}:${port}, forwarding to ${values.target}`);
  process.on('SIGINT', () => process.exit(0));
}
