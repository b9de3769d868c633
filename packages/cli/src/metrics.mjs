// --metrics: the proxy's counters in the Prometheus text format, served over
// node:http (present in Node, Bun and Deno). Written by hand: the format is
// a few lines, and the usual client library is built for Node alone.
import http from 'node:http';

const REASONS = ['eof', 'max', 'idle', 'unsplice', 'error'];

/** The exposition text of `proxy`'s counters (format 0.0.4). */
export function renderMetrics(proxy) {
  const { up, down } = proxy.bytes();
  const t = proxy.totals;
  const lines = [];
  const metric = (name, type, help, samples) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
  };
  metric('sosplice_active_splices', 'gauge', 'Client connections being served now.', [['', proxy.active]]);
  metric('sosplice_connections_total', 'counter', 'Client connections accepted.', [['', t.connections]]);
  metric('sosplice_bytes_total', 'counter', 'Bytes forwarded, live splices included; up = client to target.', [
    ['{direction="up"}', up],
    ['{direction="down"}', down],
  ]);
  metric('sosplice_splice_endings_total', 'counter', 'Splice directions ended, by reason.', REASONS.map((r) => [`{reason="${r}"}`, t.endings[r]]));
  metric('sosplice_upstream_connect_failures_total', 'counter', 'Clients closed because the target could not be reached.', [['', t.failed]]);
  return `${lines.join('\n')}\n`;
}

/** Serves `/metrics` on `address`; resolves with the server once it listens. */
export function serveMetrics(address, proxy) {
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end('see /metrics\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(renderMetrics(proxy));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => resolve(server));
  });
}
