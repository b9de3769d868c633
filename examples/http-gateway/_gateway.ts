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
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGINT');
      await once(child, 'exit');
    },
  };
}
