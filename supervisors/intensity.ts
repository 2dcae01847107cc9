/**
 * Restart intensity, as in Erlang/OTP: at most `maxRestarts` restarts within any `withinMs` window.
 * One more and the supervisor gives up: it stops its children and fails upward.
 */
export interface IntensityPolicy {
  readonly maxRestarts: number;
  readonly withinMs: number;
}

export interface IntensityCheck {
  /** Restart times still inside the window, this one included. */
  readonly restarts: readonly number[];
  readonly exceeded: boolean;
}

export function recordRestart(previous: readonly number[], now: number, policy: IntensityPolicy): IntensityCheck {
  const restarts = [...previous.filter((t) => now - t < policy.withinMs), now];
  return { restarts, exceeded: restarts.length > policy.maxRestarts };
}
