import { z } from 'zod';

/**
 * How a supervisor reacts to a failing child. Every knob is configurable (config/default.yaml,
 * `supervision`); these defaults are documented in the README.
 */
export const SupervisionPolicy = z.strictObject({
  /** one_for_one: restart the failing child; one_for_all: every child; rest_for_one: it and those started after it. */
  strategy: z.enum(['one_for_one', 'one_for_all', 'rest_for_one']).default('one_for_one'),
  /** Restart intensity: more than maxRestarts within withinMs and the supervisor escalates. */
  maxRestarts: z.number().int().min(0).default(10),
  withinMs: z.number().int().positive().default(60_000),
  backoff: z
    .strictObject({
      minMs: z.number().int().min(0).default(200),
      maxMs: z.number().int().min(0).default(30_000),
      randomFactor: z.number().min(0).max(1).default(0.2),
      resetAfterMs: z.number().int().positive().default(60_000),
    })
    .prefault({})
    .refine((b) => b.maxMs >= b.minMs, 'backoff.maxMs must be at least backoff.minMs'),
  /** Tries of one message (retriable errors) before it goes to the dead letters. Non-retriable: one try. */
  maxAttempts: z.number().int().min(1).default(3),
});
export type SupervisionPolicy = z.infer<typeof SupervisionPolicy>;

export const DEFAULT_POLICY: SupervisionPolicy = SupervisionPolicy.parse({});
