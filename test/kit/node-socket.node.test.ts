/**
 * The socket kit over real loopback TCP sockets: the smallest Node adapter
 * one can build on `@sosplice/core/socket` (a transport over `net.Socket`,
 * `SocketEndpoint`, the kit's provider), run through the conformance suite,
 * lazy section included, on the kit's direct path and its stream path. It
 * proves the kit on a real transport, apart from any shipped adapter.
 */
import net from 'node:net';
import { createSocketDirectProvider, SocketEndpoint, type SocketReadSide, type SocketTransport, type SocketWriteSide } from '@sosplice/core/socket';
import type { Harness, HarnessFactory, Peer } from '../conformance/_harness';
import { describeConformance } from '../conformance/_suite';
import { concat } from '../harness/_util';

const provider = createSocketDirectProvider();
const HWM = 65536;

class NetTransport implements SocketTransport {
  constructor(readonly socket: net.Socket) {}
  resume(): void {
    this.socket.resume();
  }
  pause(): void {
    this.socket.pause();
  }
  write(bytes: Uint8Array): number {
    if (this.socket.destroyed) throw Object.assign(new Error('The socket is destroyed'), { code: 'ERR_SOCKET_CLOSED' });
    // Node buffers what the kernel did not take: take nothing while that is above the mark ('drain' follows).
    if (this.socket.writableLength >= HWM) return 0;
    this.socket.write(bytes);
    return bytes.byteLength;
  }
  shutdown(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.writableFinished) return resolve();
      this.socket.once('error', reject);
      this.socket.end(() => resolve());
    });
  }
  reset(): void {
    this.socket.resetAndDestroy();
  }
  get readBuffered(): number {
    return this.socket.readableLength;
  }
  get writeBuffered(): number {
    return this.socket.writableLength;
  }
}

class NetSocket extends SocketEndpoint {
  constructor(readonly socket: net.Socket, direct: boolean) {
    super(new NetTransport(socket), HWM, direct ? provider : undefined);
    socket.allowHalfOpen = true;
    const read: SocketReadSide = this.read;
    const write: SocketWriteSide = this.write;
    socket.on('data', (chunk: Uint8Array) => read.onData(chunk));
    socket.on('end', () => {
      // Node 20 at times reports an RST it read as 'end' (docs/runtimes.md): after an RST the
      // kernel socket has no peer any more, after a FIN it does.
      if (!socket.writableEnded && !hasPeer(socket)) socket.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
      else read.onEnd();
    });
    socket.on('drain', () => write.onWritable());
    socket.on('error', (error) => {
      read.onError(error);
      write.onError(error);
    });
    socket.on('close', () => {
      const closed = Object.assign(new Error('The socket is closed'), { code: 'ERR_SOCKET_CLOSED' });
      read.onError(closed);
      write.onError(closed);
    });
  }
}

/** The kernel socket still has its peer (not CLOSED by an RST). */
function hasPeer(socket: net.Socket): boolean {
  const handle = (socket as { _handle?: { getpeername?(out: object): number } | null })._handle;
  return handle?.getpeername?.({}) === 0;
}

const isReset = (error: unknown): boolean => ['ECONNRESET', 'EPIPE'].includes((error as { code?: string } | null)?.code ?? '');

function makePeer(raw: net.Socket, mine: net.Socket): Peer {
  const parts: Uint8Array[] = [];
  let received = 0;
  let waiters: Array<{ n: number; resolve: () => void }> = [];
  raw.on('data', (chunk: Buffer) => {
    parts.push(chunk);
    received += chunk.byteLength;
    waiters = waiters.filter((w) => (received >= w.n ? (w.resolve(), false) : true));
  });
  const ended = new Promise<void>((resolve) => raw.once('end', resolve));
  const closing = new Promise<'reset' | 'fin'>((resolve) => {
    raw.once('end', () => resolve(raw.writableEnded || hasPeer(raw) ? 'fin' : 'reset'));
    raw.on('error', (error) => isReset(error) && resolve('reset'));
  });
  const aborted = new Promise<unknown>((resolve) => mine.once('close', () => !(mine.writableFinished && mine.readableEnded) && resolve(undefined)));
  return {
    write: (bytes) => new Promise<void>((resolve, reject) => void raw.write(bytes, (error) => (error ? reject(error) : resolve()))),
    end: () => new Promise<void>((resolve) => void raw.end(resolve)),
    async reset() {
      raw.resetAndDestroy();
      return isReset;
    },
    received: () => concat(...parts),
    receivedAtLeast: (n) => (received >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve }))),
    ended: () => ended,
    closing: () => closing,
    aborted: () => aborted,
    stall: () => void raw.pause(),
    resume: () => void raw.resume(),
  };
}

function netKitHarness(direct: boolean): HarnessFactory {
  const factory = async (): Promise<Harness> => {
    const open = new Set<net.Socket>();
    const accepted: Array<(socket: net.Socket) => void> = [];
    const server = net.createServer({ allowHalfOpen: true }, (raw) => {
      open.add(raw);
      raw.on('error', () => {});
      accepted.shift()?.(raw);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    return {
      name: `kit:node-net:${direct ? 'direct' : 'generic'}`,
      features: { byteStream: true, exactChunks: false, direct, socket: true, resets: true },
      async endpoint() {
        const raw = new Promise<net.Socket>((resolve) => accepted.push(resolve));
        const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
        open.add(socket);
        await new Promise((resolve) => socket.once('connect', resolve));
        const peerSocket = await raw;
        return { endpoint: new NetSocket(socket, direct), peer: makePeer(peerSocket, socket) };
      },
      async dispose() {
        for (const socket of open) socket.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  };
  return factory;
}

describeConformance(netKitHarness(true), 'kit:node-net:direct');
describeConformance(netKitHarness(false), 'kit:node-net:generic');
