import { CommanderError, InvalidArgumentError } from 'commander';
import { ConfigError, InputError } from '../errors.ts';

/**
 * The documented exit codes. 0: done (including a clean Ctrl-C); 1: stopped by a failure (the broker
 * unreachable too long, a supervisor that gave up, a stop that overran its deadline); 2: bad usage,
 * configuration or input, nothing started; 130 / 143: a second SIGINT / SIGTERM, exited at once.
 */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130, terminated: 143 } as const;

export function exitCodeOf(e: unknown): number {
  if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (e instanceof InvalidArgumentError || e instanceof ConfigError || e instanceof InputError) return EXIT.usage;
  return EXIT.failure;
}
