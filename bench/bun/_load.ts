/**
 * Load for the proxy benchmark: a raw Bun sink that counts what arrives, and
 * a raw Bun sender that pushes N bytes through the proxy with Bun's own
 * backpressure (partial writes, `drain`).
 */
type Sock = { data: unknown; write(d: Uint8Array): number; shutdown(): void; end(): void; terminate(): void };
type Bun = {
  listen(o: Record<string, unknown>): { port: number; stop(force?: boolean): void };
  connect(o: Record<string, unknown>): Promise<Sock>;
};
const bun = (): Bun => (globalThis as unknown as { Bun: Bun }).Bun;

let onBytes: ((n: number) => void) | undefined;

/** A sink on loopback; every byte it receives goes to the current run's counter. */
export function startSink(): { port: number; stop(): void } {
  const server = bun().listen({
    hostname: '127.0.0.1',
    port: 0,
    allowHalfOpen: true,
    socket: {
      data: (_s: Sock, d: Uint8Array) => onBytes?.(d.byteLength),
      end: (s: Sock) => s.end(),
      close() {},
      error() {},
    },
  });
  return { port: server.port, stop: () => server.stop(true) };
}

/** Sends `total` bytes to `port` and resolves with the seconds until the sink got them all. */
export async function pushThrough(port: number, total: number): Promise<number> {
  const block = new Uint8Array(1 << 20).fill(0x5a);
  let received = 0;
  let sent = 0;
  let done!: () => void;
  const arrived = new Promise<void>((resolve) => (done = resolve));
  onBytes = (n) => {
    received += n;
    if (received >= total) done();
  };
  const pump = (s: Sock): void => {
    while (sent < total) {
      const want = Math.min(block.byteLength, total - sent);
      const n = s.write(want === block.byteLength ? block : block.subarray(0, want));
      if (n > 0) sent += n;
      // Bun keeps nothing it did not accept: resend from the new offset on drain.
      if (n < want) return;
    }
    s.shutdown();
  };
  const started = performance.now();
  const socket = await bun().connect({
    hostname: '127.0.0.1',
    port,
    allowHalfOpen: true,
    socket: { open: pump, drain: pump, data() {}, end: (s: Sock) => s.end(), close() {}, error() {} },
  });
  await arrived;
  const seconds = (performance.now() - started) / 1000;
  socket.end();
  onBytes = undefined;
  return seconds;
}
