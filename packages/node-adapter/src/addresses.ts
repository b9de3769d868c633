/** The socket's addresses for the core's diagnostics messages (docs/observability.md). */
import type { Socket } from 'node:net';
import type { SpliceAddresses } from '@sosplice/core';

const format = (host: string | undefined, port: number | undefined): string | null =>
  host === undefined ? null : host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;

export function socketAddresses(socket: Socket): SpliceAddresses {
  return { local: format(socket.localAddress, socket.localPort), remote: format(socket.remoteAddress, socket.remotePort) };
}
