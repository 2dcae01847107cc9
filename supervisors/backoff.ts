/**
 * Exponential restart backoff, as Akka's backoff supervisor computes it:
 * delay = min(maxMs, minMs * 2^n) * (1 + random * randomFactor), n = consecutive failures before this one,
 * with n back to 0 once a child has gone `resetAfterMs` without failing.
 */
export interface BackoffPolicy {
  readonly minMs: number;
  readonly maxMs: number;
  readonly randomFactor: number;
  readonly resetAfterMs: number;
}

export interface BackoffState {
  /** Consecutive failures, this one included. */
  readonly failures: number;
  readonly lastFailureAt: number;
}

export function recordFailure(previous: BackoffState | undefined, now: number, policy: BackoffPolicy): BackoffState {
  const quiet = previous === undefined || now - previous.lastFailureAt >= policy.resetAfterMs;
  return { failures: quiet ? 1 : previous.failures + 1, lastFailureAt: now };
}

/** `random` in [0, 1), injected so that tests and replays are exact. */
export function backoffDelay(policy: BackoffPolicy, state: BackoffState, random: number): number {
  const exponent = Math.min(state.failures - 1, 30);
  const base = Math.min(policy.maxMs, policy.minMs * 2 ** exponent);
  return Math.round(base * (1 + random * policy.randomFactor));
}
