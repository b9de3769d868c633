/** The socket's addresses for the core's diagnostics messages (docs/observability.md). */
import type { SpliceAddresses } from '@sosplice/core';
import type { BunSocket } from './_bun.ts';

const format = (host: string | undefined, port: number | undefined): string | null =>
  host === undefined ? null : host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;

export function socketAddresses(socket: BunSocket<unknown>): SpliceAddresses {
  return { local: format(socket.localAddress, socket.localPort), remote: format(socket.remoteAddress, socket.remotePort) };
}
