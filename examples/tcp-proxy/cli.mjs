// Command line of the proxy, the same on every runtime. No runtime imports:
// each entry hands its own argv in.

export const USAGE = `usage: tcp-proxy --listen host:port --target host:port [options]

  --listen host:port   where clients connect (port 0 picks a free port)
  --target host:port   where each client is forwarded
  --idle ms            end a direction after ms without a byte (0 = never)
  --max bytes          forward at most this many bytes each way (0 = no limit)
  --tls-cert file      with --tls-key: clients speak TLS to the proxy
  --tls-key file       (the target is reached over plain TCP)
  --help               print this and exit`;

/** A bad command line: the entry prints it with the usage and exits 2. */
export class UsageError extends Error {
  name = 'UsageError';
}

const VALUED = new Set(['listen', 'target', 'idle', 'max', 'tls-cert', 'tls-key']);

/** Parses `argv` (flags only) into the proxy's settings; throws UsageError. */
export function parseFlags(argv) {
  const raw = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return { help: true };
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (m === null || !VALUED.has(m[1])) throw new UsageError(`unknown argument: ${arg}`);
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${m[1]} needs a value`);
    raw[m[1]] = value;
  }
  if (raw.listen === undefined) throw new UsageError('--listen is required');
  if (raw.target === undefined) throw new UsageError('--target is required');
  if ((raw['tls-cert'] === undefined) !== (raw['tls-key'] === undefined)) {
    throw new UsageError('--tls-cert and --tls-key go together');
  }
  return {
    listen: parseAddress('--listen', raw.listen),
    target: parseAddress('--target', raw.target),
    idle: parseCount('--idle', raw.idle),
    max: parseCount('--max', raw.max),
    tls: raw['tls-cert'] === undefined ? undefined : { cert: raw['tls-cert'], key: raw['tls-key'] },
  };
}

/** `host:port`, `[v6]:port` or `:port` (all interfaces). */
export function parseAddress(flag, text) {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text);
  const port = m === null ? NaN : Number(m[3]);
  if (!(port <= 65535)) throw new UsageError(`${flag} must be host:port, got ${JSON.stringify(text)}`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

function parseCount(flag, text) {
  if (text === undefined) return 0;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${flag} must be a whole number, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

/**
 * What every entry does with its argv: the settings, or the usage on stdout
 * and exit 0 for --help, or the error and usage on stderr and exit 2.
 */
export function flagsOrExit(argv, exit) {
  let flags;
  try {
    flags = parseFlags(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`tcp-proxy: ${error.message}\n\n${USAGE}`);
    return exit(2);
  }
  if (flags.help) {
    console.log(USAGE);
    return exit(0);
  }
  return flags;
}
