// The command line, the same on every runtime, parsed with node:util's
// parseArgs (present in Node, Bun and Deno). No runtime imports beyond it.
import { parseArgs } from 'node:util';

export const USAGE = `usage: sosplice --listen host:port --target host:port [options]

  --listen host:port   where clients connect (port 0 picks a free port)
  --target host:port   where each client is forwarded
  --idle ms            end a direction after ms without a byte (0 = never)
  --max bytes          forward at most this many bytes each way (0 = no limit)
  --linked             end the connection as one: the first ending other than
                       EOF (max, idle, an error) ends both directions, and
                       --idle means neither direction moved
  --tls-cert file      with --tls-key: clients speak TLS to the proxy
  --tls-key file       (the target is reached over plain TCP)
  --workers n          n processes accept on the same port (default 1)
  --json               log one JSON object per line instead of text
  --totals s           print the totals every s seconds too (default 0: at exit only)
  --drain ms           on SIGINT/SIGTERM, let live connections finish for up
                       to ms, then unsplice the rest (default 2000)
  --metrics host:port  serve Prometheus metrics on http://host:port/metrics
  --help               print this and exit`;

/** A bad command line: the entry prints it with the usage and exits 2. */
export class UsageError extends Error {
  name = 'UsageError';
}

const OPTIONS = {
  listen: { type: 'string' },
  target: { type: 'string' },
  idle: { type: 'string' },
  max: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  workers: { type: 'string' },
  json: { type: 'boolean' },
  totals: { type: 'string' },
  drain: { type: 'string' },
  metrics: { type: 'string' },
  linked: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/** Parses `argv` (flags only) into the proxy's settings; throws UsageError. */
export function parseFlags(argv) {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    // parseArgs' own messages name the flag; they are usage errors (code ERR_PARSE_ARGS_*).
    throw new UsageError(error.message);
  }
  if (values.help) return { help: true };
  if (values.listen === undefined) throw new UsageError('--listen is required');
  if (values.target === undefined) throw new UsageError('--target is required');
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) {
    throw new UsageError('--tls-cert and --tls-key go together');
  }
  const flags = {
    listen: parseAddress('--listen', values.listen),
    target: parseAddress('--target', values.target),
    idle: parseCount('--idle', values.idle, 0),
    max: parseCount('--max', values.max, 0),
    linked: values.linked === true,
    tls: values['tls-cert'] === undefined ? undefined : { cert: values['tls-cert'], key: values['tls-key'] },
    workers: parseCount('--workers', values.workers, 1),
    json: values.json === true,
    totals: parseCount('--totals', values.totals, 0),
    drain: parseCount('--drain', values.drain, 2000),
    metrics: values.metrics === undefined ? undefined : parseAddress('--metrics', values.metrics),
  };
  if (flags.workers < 1 || flags.workers > 256) throw new UsageError(`--workers must be 1 to 256, got ${flags.workers}`);
  if (flags.workers > 1 && flags.listen.port === 0) throw new UsageError('--workers needs a fixed --listen port (port 0 differs per process)');
  // Each worker keeps its own counters: one endpoint would show one worker's.
  if (flags.workers > 1 && flags.metrics !== undefined) throw new UsageError('--metrics works with one worker only');
  return flags;
}

/** `host:port`, `[v6]:port` or `:port` (all interfaces). */
export function parseAddress(flag, text) {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text);
  const port = m === null ? NaN : Number(m[3]);
  if (!(port <= 65535)) throw new UsageError(`${flag} must be host:port, got ${JSON.stringify(text)}`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

function parseCount(flag, text, fallback) {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${flag} must be a whole number, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

/**
 * The settings, or the usage on stdout and exit 0 for --help, or the error
 * and the usage on stderr and exit 2.
 */
export function flagsOrExit(argv, exit) {
  let flags;
  try {
    flags = parseFlags(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`sosplice: ${error.message}\n\n${USAGE}`);
    return exit(2);
  }
  if (flags.help) {
    console.log(USAGE);
    return exit(0);
  }
  return flags;
}
