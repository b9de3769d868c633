/**
 * Resets that travel (docs/contract.md#how-a-splice-ends, docs/adapters.md): an aborted socket sends an RST, not a
 * FIN, and a peer's RST is reported as `ECONNRESET`, not as EOF, wherever
 * Node lets us tell.
 * Node API: https://nodejs.org/api/net.html#socketresetanddestroy
 */
import * as net from 'node:net';

/** The parts of Node's internal handles used here (TCP handles have both). */
interface TcpHandleLike {
  getpeername?(out: object): number;
}

/** The plain TCP socket under `socket`: itself, or the one a `TLSSocket` wraps. */
function tcpSocket(socket: net.Socket): net.Socket | undefined {
  // A TLSSocket made over a net.Socket (servers, and connect({ tls: true }) in
  // ./net.ts) keeps it as `_parent`; its own handle is a TLSWrap, which
  // resetAndDestroy() refuses (ERR_INVALID_HANDLE_TYPE).
  const parent = (socket as { _parent?: unknown })._parent;
  const plain = parent instanceof net.Socket ? parent : socket;
  const handle = (plain as { _handle?: { constructor?: { name?: string } } | null })._handle;
  return handle?.constructor?.name === 'TCP' ? plain : undefined;
}

/**
 * Destroys `socket` with an RST where it is TCP (also under TLS, when the
 * TLSSocket wraps a net.Socket), so a truncated transfer never looks complete
 * to the far peer. Unix sockets have no RST: they are destroyed (the peer
 * reads EOF), as are TLS sockets Node made without a net.Socket below them.
 */
export function resetAndDestroy(socket: net.Socket): void {
  const tcp = tcpSocket(socket);
  // After our FIN (end(), or close()) libuv refuses a reset (EINVAL, and no
  // 'close' would follow): the FIN stands and the socket is destroyed.
  if (tcp !== undefined && !tcp.destroyed && !socket.writableEnded && !tcp.writableEnded) {
    try {
      tcp.resetAndDestroy();
    } catch {
      // Not resettable after all (a handle Node does not accept): destroy below.
    }
  }
  socket.destroy();
}

/**
 * Node 20 reports a peer's RST that arrived while the socket was paused as
 * EOF (docs/runtimes.md; Node 24 reports ECONNRESET). After a FIN the kernel
 * socket is in CLOSE_WAIT and `getpeername()` works; after an RST it is
 * CLOSED and `getpeername()` fails with ENOTCONN. Only meaningful while our
 * own side has not sent FIN: once both FINs crossed, the socket is CLOSED too.
 * Returns the error to report instead of the EOF, if the EOF was a reset.
 */
export function resetBehindEof(socket: net.Socket): Error | undefined {
  if (socket.writableEnded || socket.destroyed) return undefined;
  const tcp = tcpSocket(socket);
  const handle = (tcp as { _handle?: TcpHandleLike | null } | undefined)?._handle;
  if (typeof handle?.getpeername !== 'function') return undefined;
  if (handle.getpeername({}) === 0) return undefined;
  // The error Node itself raises for a reset seen by a read.
  return Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -104, syscall: 'read' });
}
