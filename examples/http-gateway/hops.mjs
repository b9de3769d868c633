// What each hop says about itself (RFC 9110 7.6, RFC 9112 9): the fields
// never forwarded, whether a connection stays open, the lines the gateway
// adds for the hop a message goes on, and the checks a request passes first.
import { HttpError, headerLine } from './head.mjs';

/**
 * The lines each forwarded message gets, by the version it came in as: via
 * (RFC 9110 7.6.3: the received protocol), and the gateway's own Connection
 * for the hop it goes on.
 */
export const ADD = Object.fromEntries(
  ['1.0', '1.1'].map((version) => {
    const via = headerLine(`via: ${version} sosplice-gateway`);
    const line = (connection) => [via, headerLine(`connection: ${connection}`)];
    return [version, { keep: [via], close: line('close'), keepAlive: line('keep-alive'), upgrade: line('upgrade') }];
  }),
);

/**
 * Fields that describe one hop and are never forwarded (RFC 9110 7.6.1):
 * Connection itself and those known to be hop-by-hop; the fields Connection
 * names are added per message. Each hop gets the gateway's own Connection.
 * Transfer-Encoding stays: a chunked body is forwarded framing and all.
 */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'upgrade'];
const HOP_BY_HOP_BUT_UPGRADE = HOP_BY_HOP.filter((name) => name !== 'upgrade');
/** Fields the gateway frames and routes by: a Connection header naming one would make it change a message's framing (a smuggling vector), so it is refused. */
const PINNED = new Set(['content-length', 'transfer-encoding', 'host']);

/** The header lines to leave out of a forwarded message whose Connection lists `connection`; Upgrade is kept with `keepUpgrade`. */
export function hopByHop(connection, keepUpgrade, status) {
  let drop = keepUpgrade ? HOP_BY_HOP_BUT_UPGRADE : HOP_BY_HOP;
  for (const token of connection) {
    if (PINNED.has(token)) throw new HttpError(status, `Connection names ${token}, which frames the message`);
    if (token !== 'close' && !(token === 'upgrade' && keepUpgrade) && !drop.includes(token)) drop = [...drop, token];
  }
  return drop;
}

/** The connection stays open after this message (RFC 9112 9.3): 1.1 unless `close`, 1.0 only with `keep-alive` (and no `close`). */
export const keepsAlive = (head, connection) => !connection.includes('close') && (head.version === '1.1' || connection.includes('keep-alive'));

/** A Host value (RFC 9112 3.2, RFC 3986 3.2.2): an IP literal or a registered name, and an optional port. */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~%!$&'()*+,;=]*)(?::\d*)?$/;

/** The checks a request passes before anything of it is forwarded; 400 / 501 otherwise. */
export function checkRequest(request) {
  // RFC 9112 3.2: exactly one Host in HTTP/1.1, never two, and a host it is.
  const hosts = request.count('host');
  if (hosts > 1 || (hosts === 0 && request.version === '1.1')) throw new HttpError(400, hosts > 1 ? 'more than one Host' : 'no Host');
  if (hosts === 1 && !HOST.test(request.get('host'))) throw new HttpError(400, `bad Host: ${JSON.stringify(request.get('host'))}`);
  // A tunnel to anywhere is a forward proxy's job, not a gateway's.
  if (request.method === 'CONNECT') throw new HttpError(501, 'CONNECT is not served here');
}
