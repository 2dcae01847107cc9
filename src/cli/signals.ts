import { EXIT } from './exit-codes.ts';

interface Proc {
  once(event: 'SIGINT' | 'SIGTERM', fn: () => void): unknown;
  on(event: 'SIGINT' | 'SIGTERM', fn: () => void): unknown;
  exit(code: number): never;
  stderr: { write(text: string): unknown };
}

/**
 * Signals as a user expects them at any phase: the first SIGINT or SIGTERM asks the command to stop
 * cleanly (it drains, commits and prints its summary); a second one exits at once, non-zero. A stop,
 * however it began, gets a deadline: past it the process exits anyway, saying so (what was not
 * committed is delivered again on the next start, so nothing is lost by that).
 */
export class Signals {
  readonly launchedAt = Date.now();
  private readonly controller = new AbortController();
  private deadlineSet = false;
  private readonly proc: Proc;

  constructor(proc: Proc) {
    this.proc = proc;
    for (const name of ['SIGINT', 'SIGTERM'] as const) {
      proc.on(name, () => {
        if (this.controller.signal.aborted) {
          proc.stderr.write(`\nsecond ${name}: exiting now\n`);
          proc.exit(name === 'SIGINT' ? EXIT.interrupted : EXIT.terminated);
        }
        this.controller.abort(name);
      });
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Starts the stop's deadline (once): the process exits with code 1 if it is still here after `ms`. */
  deadline(ms: number, reason: string): void {
    if (this.deadlineSet) return;
    this.deadlineSet = true;
    const t = setTimeout(() => {
      this.proc.stderr.write(`\nalpha-panda: stopping (${reason}) took longer than ${Math.round(ms / 1000)} s; exiting without finishing (what was not committed is delivered again on the next start)\n`);
      this.proc.exit(EXIT.failure);
    }, ms);
    t.unref();
  }
}
