/**
 * Accepted order times of one trading day, kept sorted by event time however they arrive, so a rate
 * limit judges each order by the orders around its own time: a signal arriving late (a replay delivers
 * each strategy's day as a block) is counted against its own second and minute, not the newest one.
 * Bounded by the day's order limit (5,000 at Kite), cleared when the day rolls.
 */
export class RateWindow {
  private times: number[] = [];

  get size(): number {
    return this.times.length;
  }

  clear(): void {
    this.times = [];
  }

  add(t: number): void {
    this.times.splice(this.upper(t), 0, t);
  }

  /**
   * The most orders already in any window of `ms` milliseconds that contains `t`: accepting one more at
   * `t` is within a limit of L per window exactly when this is below L.
   */
  busiest(t: number, ms: number): number {
    const lo = this.lower(t - ms + 1);
    const hi = this.upper(t + ms - 1);
    let best = 0;
    // Windows [s, s + ms - 1] with s in [t - ms + 1, t]. Moving s right to the next order loses nothing and
    // may gain, so the busiest starts at an order in that range, or at t itself.
    let end = lo;
    const consider = (s: number, from: number) => {
      if (end < from) end = from;
      while (end < hi && this.times[end]! <= s + ms - 1) end++;
      best = Math.max(best, end - from);
    };
    for (let i = lo; i < hi && this.times[i]! <= t; i++) if (i === lo || this.times[i] !== this.times[i - 1]) consider(this.times[i]!, i);
    consider(t, this.lower(t));
    return best;
  }

  /** First index with time >= t. */
  private lower(t: number): number {
    let lo = 0;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.times[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index with time > t. */
  private upper(t: number): number {
    let lo = 0;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.times[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
