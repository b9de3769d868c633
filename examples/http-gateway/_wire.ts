// Raw HTTP/1 on loopback for the gateway's wire tests: bytes in, bytes out,
// no client or server library deciding anything.
import { once } from 'node:events';
import net from 'node:net';

/** Listens on 127.0.0.1 (any port); resolves to `host:port`. */
export async function listen(server: net.Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

/** Sends raw bytes on a fresh connection; resolves with everything received until the gateway's FIN (or reset). */
export async function raw(port: number, bytes: string | Buffer, { end = false } = {}): Promise<string> {
  return (await rawExchange(port, bytes, { end })).received;
}

/** As raw(), with the socket's error if it ended with one (a reset). */
export async function rawExchange(port: number, bytes: string | Buffer, { end = false } = {}): Promise<{ received: string; error?: NodeJS.ErrnoException }> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  let error: NodeJS.ErrnoException | undefined;
  socket.on('error', (e) => (error = e));
  await once(socket, 'connect');
  socket.write(bytes);
  if (end) socket.end();
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  await new Promise<void>((resolve) => {
    socket.once('end', resolve);
    socket.once('close', () => resolve());
  });
  socket.destroy();
  return { received: Buffer.concat(chunks).toString('latin1'), error };
}

/** A raw client connection that keeps what it receives (latin-1); `until(test)` waits until `test(received)` holds. */
export function rawClient(port: number) {
  const socket = net.connect({ port, host: '127.0.0.1' });
  let received = '';
  socket.on('data', (c: Buffer) => (received += c.toString('latin1')));
  return {
    socket,
    get received(): string {
      return received;
    },
    async until(test: (text: string) => boolean): Promise<void> {
      while (!test(received)) await once(socket, 'data');
    },
  };
}

export const statusOf = (response: string): number => Number(/^HTTP\/1\.[01] (\d{3})/.exec(response)?.[1]);

/**
 * A raw upstream: `answer(request, socket)` on the first bytes of each
 * connection (one write's worth: these tests send small heads), and every
 * byte it received, per connection, for checking what was forwarded.
 */
export function rawUpstream(answer: (request: string, socket: net.Socket) => void) {
  const received: string[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    const index = received.push('') - 1;
    socket.on('error', () => {});
    // The gateway's FIN ends the connection (so its close() does not wait for its linger).
    socket.on('end', () => socket.end());
    socket.on('data', (c: Buffer) => {
      const first = received[index] === '';
      received[index] += c.toString('latin1');
      if (first) answer(received[index]!, socket);
    });
  });
  return { server, received, all: () => received.join('') };
}
