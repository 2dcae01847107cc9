import { describe, expect, it } from 'vitest';
import { backoffDelay, recordFailure } from '../../supervisors/backoff.ts';
import { recordRestart } from '../../supervisors/intensity.ts';

const policy = { minMs: 100, maxMs: 1000, randomFactor: 0.5, resetAfterMs: 5000 };

describe('restart backoff', () => {
  it('doubles from minMs per consecutive failure up to maxMs', () => {
    let state = recordFailure(undefined, 0, policy);
    const delays = [];
    for (let i = 0; i < 6; i++) {
      delays.push(backoffDelay(policy, state, 0));
      state = recordFailure(state, 10 * (i + 1), policy);
    }
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('adds jitter of up to randomFactor', () => {
    expect(backoffDelay(policy, { failures: 1, lastFailureAt: 0 }, 0.999)).toBe(150);
  });

  it('starts again from minMs after a quiet period', () => {
    const busy = recordFailure(recordFailure(undefined, 0, policy), 100, policy);
    expect(busy.failures).toBe(2);
    expect(recordFailure(busy, 100 + 5000, policy).failures).toBe(1);
  });
});

describe('restart intensity', () => {
  it('allows maxRestarts within the window and refuses one more', () => {
    const p = { maxRestarts: 2, withinMs: 1000 };
    const a = recordRestart([], 0, p);
    const b = recordRestart(a.restarts, 100, p);
    const c = recordRestart(b.restarts, 200, p);
    expect([a.exceeded, b.exceeded, c.exceeded]).toEqual([false, false, true]);
  });

  it('forgets restarts older than the window', () => {
    const p = { maxRestarts: 1, withinMs: 1000 };
    expect(recordRestart([0], 1000, p)).toEqual({ restarts: [1000], exceeded: false });
  });
});
