/**
 * A loopback proxy made of the adapter: `listen()` accepts a client,
 * `connect()` dials the upstream, `spliceBidirectional` joins them. The
 * upstream is a raw Bun server whose behaviour each test chooses.
 */
import { spliceBidirectional, type SplicePair } from '@sosplice/core';
import { connect, listen, type BunSocket } from '@sosplice/bun-adapter';
import { bunTls, RawPeer, type BunSocketListener, type BunSpliceSocket, type BunTransport } from '../harness/bun';

type Bun = { listen(o: Record<string, unknown>): BunSocketListener<unknown>; connect(o: Record<string, unknown>): Promise<BunSocket<unknown>> };
const bun = (): Bun => (globalThis as unknown as { Bun: Bun }).Bun;

let n = 0;
const unixPath = (): string => `/tmp/sosplice-bun-proxy-${process.pid}-${n++}.sock`;

/** Handlers that make every raw socket a {@link RawPeer}; `onPeer` sees each. */
export function rawHandlers(onPeer: (peer: RawPeer) => void) {
  return {
    open(socket: BunSocket<unknown>) {
      // A TLS client may see Bun.connect resolve before `open`: whoever comes first makes the peer.
      if (socket.data instanceof RawPeer) return;
      const peer = new RawPeer(socket);
      socket.data = peer;
      onPeer(peer);
    },
    data: (s: BunSocket<unknown>, d: Uint8Array) => (s.data as RawPeer).onData(d),
    drain: (s: BunSocket<unknown>) => (s.data as RawPeer).onDrain(),
    end: (s: BunSocket<unknown>) => (s.data as RawPeer).onEnd(),
    close: (s: BunSocket<unknown>, e?: Error) => (s.data as RawPeer | undefined)?.onClose(e),
    error: () => {},
  };
}

export interface ProxyRig {
  /** Upstream peers, in accept order. */
  readonly upstreams: RawPeer[];
  /** Splices, one per proxied connection. */
  readonly pairs: SplicePair[];
  /** Proxy-side sockets (client-facing, upstream-facing). */
  readonly sockets: BunSpliceSocket[];
  /** A new raw client through the proxy; resolves once the proxy spliced it. */
  client(): Promise<RawPeer>;
  close(): Promise<void>;
}

/** Starts upstream + proxy on loopback (TCP, TLS on both legs, or Unix). */
export function startProxy(options: { direct: boolean; transport?: BunTransport; onUpstream?: (peer: RawPeer) => void }): ProxyRig {
  const transport = options.transport ?? 'tcp';
  const upstreams: RawPeer[] = [];
  const pairs: SplicePair[] = [];
  const sockets: BunSpliceSocket[] = [];
  const clients: RawPeer[] = [];
  const spliced: Array<() => void> = [];
  const tlsServer = transport === 'tls' ? { tls: bunTls() } : {};
  const tlsClient = transport === 'tls' ? { tls: { rejectUnauthorized: false } } : {};
  const upUnix = unixPath();
  const proxyUnix = unixPath();
  const at = (path: string, port: number) => (transport === 'unix' ? { unix: path } : { hostname: '127.0.0.1', port });

  const upstream = bun().listen({
    ...(transport === 'unix' ? { unix: upUnix } : { hostname: '127.0.0.1', port: 0 }),
    ...tlsServer,
    allowHalfOpen: true,
    socket: rawHandlers((peer) => {
      upstreams.push(peer);
      options.onUpstream?.(peer);
    }),
  });
  const proxyAddress = transport === 'unix' ? { path: proxyUnix } : { hostname: '127.0.0.1', port: 0 };
  const proxy = listen({ ...proxyAddress, ...tlsServer, direct: options.direct });
  void proxy.then(async (listener) => {
    for await (const down of listener) {
      sockets.push(down);
      void (async () => {
        const up = await connect({ ...(transport === 'unix' ? { path: upUnix } : { hostname: '127.0.0.1', port: upstream.port }), ...tlsClient, direct: options.direct });
        sockets.push(up);
        pairs.push(spliceBidirectional(down, up));
        spliced.shift()?.();
      })();
    }
  });

  return {
    upstreams,
    pairs,
    sockets,
    async client() {
      const ready = new Promise<void>((resolve) => spliced.push(resolve));
      const socket = await bun().connect({ ...at(proxyUnix, (await proxy).port ?? 0), ...tlsClient, allowHalfOpen: true, socket: rawHandlers(() => {}) });
      if (!(socket.data instanceof RawPeer)) socket.data = new RawPeer(socket);
      const peer = socket.data as RawPeer;
      clients.push(peer);
      await ready;
      return peer;
    },
    async close() {
      await Promise.allSettled(pairs.map((p) => p.unsplice()));
      for (const c of clients) if (!c.isClosed) c.socket.terminate();
      for (const s of sockets) s.socket.terminate();
      for (const u of upstreams) if (!u.isClosed) u.socket.terminate();
      await (await proxy).close();
      upstream.stop(true);
    },
  };
}
