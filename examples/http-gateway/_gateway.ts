// Runs the gateway as a user does: a child process (needs `pnpm build`).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { root, runtimeBinary, scriptArgs } from '../_runtimes.mjs';

export interface RunningGateway {
  readonly port: number;
  /** Every line the gateway printed so far. */
  readonly lines: string[];
  /** Resolves with the gateway's line about a client port matching `re`, once printed. */
  lineFor(localPort: number, re?: RegExp): Promise<string>;
  stop(): Promise<void>;
}

/** The gateway under `runtime` (its entry `<runtime>.mjs`), in front of `target`, with more command-line `flags`. */
export async function startGateway(target: string, runtime = 'node', flags: string[] = []): Promise<RunningGateway> {
  const args = scriptArgs(runtime, `${root}examples/http-gateway/${runtime}.mjs`, ['--listen', '127.0.0.1:0', '--target', target, '--verbose', ...flags]);
  const child = spawn(runtimeBinary(runtime)!, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let stopping: Promise<void> | undefined;
  child.stdout!.setEncoding('utf8').on('data', (t: string) => lines.push(...t.split('\n').filter(Boolean)));
  const [first] = await once(child.stdout!, 'data');
  const port = Number(/^listening on .*:(\d+),/.exec(first)![1]);
  return {
    port,
    lines,
    lineFor(localPort, re = / requests on one connection/) {
      const find = () => lines.find((l) => l.startsWith(`127.0.0.1:${localPort} `) && re.test(l));
      return new Promise((resolve) => {
        const check = () => (find() ? resolve(find()!) : void child.stdout!.once('data', () => setImmediate(check)));
        check();
      });
    },
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGINT');
        // A gateway that does not end on SIGINT (a bug a test is about to report) must not outlive the tests.
        const kill = setTimeout(() => child.kill('SIGKILL'), 8_000);
        await exited;
        clearTimeout(kill);
      })();
      return stopping;
    },
  };
}
