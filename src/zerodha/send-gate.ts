import type { Clock } from '../clock.ts';
import type { ZerodhaSettings } from './settings.ts';
import { untilDoneOrAborted } from '../abortable.ts';

/** A limit of `max` sends in any `ms` window. */
export interface Window {
  readonly max: number;
  readonly ms: number;
}

/**
 * Kite's rate limits, enforced before a request leaves: each window keeps the times of its last `max`
 * sends, and a send waits until every window it counts against has room in the sliding window ending
 * now. A sliding log rather than a token bucket or fixed windows: a bucket of 10 refilling at 10/s lets
 * 20 through in one second, and fixed windows let 2x through across a boundary; Kite answers either
 * with 429. Sends are granted in the order asked (one queue), so an order is never starved.
 */
export class SendGate {
  private readonly clock: Clock;
  private readonly logs = new Map<string, { window: Window; times: number[] }>();
  private tail: Promise<void> = Promise.resolve();

  constructor(clock: Clock, windows: Record<string, Window>) {
    this.clock = clock;
    for (const [name, window] of Object.entries(windows)) this.logs.set(name, { window, times: [] });
  }

  /** Resolves when a send counted against `names` may go; the send is recorded then. */
  acquire(names: readonly string[], signal?: AbortSignal): Promise<void> {
    const turn = this.tail.then(() => this.wait(names, signal));
    this.tail = turn.catch(() => undefined);
    return turn;
  }

  /** How long until a send against `names` could go, ms (0: now). */
  delay(names: readonly string[]): number {
    const now = this.clock.now();
    let wait = 0;
    for (const name of names) {
      const { window, times } = this.log(name);
      if (times.length >= window.max) wait = Math.max(wait, times[times.length - window.max]! + window.ms - now);
    }
    return Math.max(0, wait);
  }

  private async wait(names: readonly string[], signal?: AbortSignal): Promise<void> {
    for (let d = this.delay(names); d > 0; d = this.delay(names)) {
      if (signal?.aborted) throw signal.reason;
      await untilDoneOrAborted(signal, (done) => {
        const timer = this.clock.schedule(d, done);
        return () => timer.cancel();
      });
    }
    if (signal?.aborted) throw signal.reason;
    const now = this.clock.now();
    for (const name of names) {
      const { window, times } = this.log(name);
      times.push(now);
      if (times.length > window.max) times.splice(0, times.length - window.max);
    }
  }

  private log(name: string) {
    const l = this.logs.get(name);
    if (!l) throw new RangeError(`no rate window named '${name}'`);
    return l;
  }
}

/**
 * Kite counts a request when it arrives, and requests sent a window apart can arrive closer together
 * (network jitter): each window is held a little longer than Kite's, so a burst never meets a 429.
 */
const JITTER_MS = 100;

/** One gate per API key: every request, and orders in their second and minute windows (the day is risk's). */
export function kiteGate(clock: Clock, limits: ZerodhaSettings['limits']): SendGate {
  return new SendGate(clock, {
    requests: { max: limits.requestsPerSecond, ms: 1000 + JITTER_MS },
    ordersSecond: { max: limits.ordersPerSecond, ms: 1000 + JITTER_MS },
    ordersMinute: { max: limits.ordersPerMinute, ms: 60_000 + JITTER_MS },
  });
}
