/** Kite's limits per API key (reference: 10 requests/s; orders 10/s, 400/min, 5,000/day; 25 modifications; quotes 1/s). */
export interface KiteLimits {
  requestsPerSecond: number;
  ordersPerSecond: number;
  ordersPerMinute: number;
  ordersPerDay: number;
  modificationsPerOrder: number;
  quotesPerSecond: number;
}

export const DEFAULT_LIMITS: KiteLimits = {
  requestsPerSecond: 10,
  ordersPerSecond: 10,
  ordersPerMinute: 400,
  ordersPerDay: 5000,
  modificationsPerOrder: 25,
  quotesPerSecond: 1,
};

/** At most `limit` admissions in any `ms` window; a refusal is not an admission, so it does not extend the wait. */
class SlidingWindow {
  private readonly times: number[] = [];
  private readonly limit: number;
  private readonly ms: number;

  constructor(limit: number, ms: number) {
    this.limit = limit;
    this.ms = ms;
  }

  hasRoom(now: number): boolean {
    while (this.times.length > 0 && this.times[0]! <= now - this.ms) this.times.shift();
    return this.times.length < this.limit;
  }

  admit(now: number): void {
    this.times.push(now);
  }
}

interface KeyWindows {
  readonly requests: SlidingWindow;
  readonly quotes: SlidingWindow;
  readonly orders: readonly SlidingWindow[];
}

/** The sliding windows of every API key seen. Each method admits (and counts) the request, or refuses it. */
export class RateLimiter {
  private readonly limits: KiteLimits;
  private readonly keys = new Map<string, KeyWindows>();

  constructor(limits: KiteLimits) {
    this.limits = limits;
  }

  request(apiKey: string, now: number): boolean {
    return admitAll([this.windows(apiKey).requests], now);
  }

  quote(apiKey: string, now: number): boolean {
    return admitAll([this.windows(apiKey).quotes], now);
  }

  order(apiKey: string, now: number): boolean {
    return admitAll(this.windows(apiKey).orders, now);
  }

  private windows(apiKey: string): KeyWindows {
    let w = this.keys.get(apiKey);
    if (!w) {
      const l = this.limits;
      w = {
        requests: new SlidingWindow(l.requestsPerSecond, 1000),
        quotes: new SlidingWindow(l.quotesPerSecond, 1000),
        orders: [new SlidingWindow(l.ordersPerSecond, 1000), new SlidingWindow(l.ordersPerMinute, 60_000), new SlidingWindow(l.ordersPerDay, 86_400_000)],
      };
      this.keys.set(apiKey, w);
    }
    return w;
  }
}

function admitAll(windows: readonly SlidingWindow[], now: number): boolean {
  if (!windows.every((w) => w.hasRoom(now))) return false;
  for (const w of windows) w.admit(now);
  return true;
}
