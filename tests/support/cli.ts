import { spawn, spawnSync } from 'node:child_process';

/**
 * The CLI as a user runs it, on this Node (22, from the `node` devDependency). Without the database
 * unless a test asks for one (each then gives its own folder or DATABASE_URL): runs in parallel must not
 * share the embedded database in var/db.
 */
const BASE_ENV = { ...process.env, VITEST: '', LOG_LEVEL: 'warn', ALPHA_PANDA_DATABASE__ENABLED: 'false', DATABASE_URL: '' };

/** The recorded NIFTY 50 day traded as its future, with the strategies written for it. */
export const NIFTY_DAY_ARGS = ['data/nifty50-5min-2025-08-11.csv', '--as', 'NIFTY25AUGFUT', '--strategies', 'config/strategies-nifty-day.yaml'];

export function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['src/cli/main.ts', ...args], { encoding: 'utf8', env: { ...BASE_ENV, ...env }, timeout: 90_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

export interface RunningCli {
  out: string;
  err: string;
  readonly exited: Promise<number | null>;
  /** Resolves once `condition` holds (checked as output arrives and every 50 ms), or rejects after `timeoutMs`. */
  waitFor(condition: () => boolean, timeoutMs: number, what?: string): Promise<void>;
  kill(signal: NodeJS.Signals): void;
  /** ms from `kill` to exit, once exited. */
  readonly stopMs: number | undefined;
}

export function spawnCli(args: string[], env: Record<string, string> = {}): RunningCli {
  const child = spawn(process.execPath, ['src/cli/main.ts', ...args], { env: { ...BASE_ENV, ...env } });
  let killedAt: number | undefined;
  let exitedAt: number | undefined;
  const r: RunningCli = {
    out: '',
    err: '',
    exited: new Promise((resolve) => child.on('exit', (code) => ((exitedAt = Date.now()), resolve(code)))),
    async waitFor(condition, timeoutMs, what = 'the condition') {
      const deadline = Date.now() + timeoutMs;
      while (!condition()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stdout:\n${r.out}\nstderr:\n${r.err.slice(-2000)}`);
        if (exitedAt !== undefined) throw new Error(`exited before ${what}; stdout:\n${r.out}\nstderr:\n${r.err.slice(-2000)}`);
        await new Promise((res) => setTimeout(res, 50));
      }
    },
    kill(signal) {
      killedAt ??= Date.now();
      child.kill(signal);
    },
    get stopMs() {
      return killedAt !== undefined && exitedAt !== undefined ? exitedAt - killedAt : undefined;
    },
  };
  child.stdout.on('data', (b: Buffer) => (r.out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (r.err += b.toString()));
  return r;
}
