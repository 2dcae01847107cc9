import { RollingWindow } from './rolling-window.ts';

const SAFE = Number.MAX_SAFE_INTEGER;
/** Whether an integer-valued result is exact: a product or sum of safe integers that lands within ±2^53 is. */
const safe = (v: number) => v <= SAFE && v >= -SAFE;

/**
 * A price's whole paise, or NaN when it is not a whole number of paise (a tick on a 0.05 or 0.01 grid
 * always is). `x` is then exactly the double nearest `paise / 100`, which the running sums rely on.
 */
export function paiseOf(x: number): number {
  const q = Math.round(x * 100);
  return q / 100 === x && safe(q) ? q : NaN;
}

/** The mean of the window as trading-signals' getAverage computes it: a sum from the oldest, then a division. */
export function meanInOrder(window: RollingWindow): number {
  let sum = 0;
  for (let i = 0; i < window.length; i++) sum += window.at(i);
  return sum / window.length;
}

/** The population variance as getStandardDeviation computes it before its square root, in the same order. */
export function varianceInOrder(window: RollingWindow, mean = meanInOrder(window)): number {
  let squares = 0;
  for (let i = 0; i < window.length; i++) {
    const d = window.at(i) - mean;
    squares += d * d;
  }
  return squares / window.length;
}

/** Scratch for `exactZ`. */
const moments = new Float64Array(4);

/**
 * A rolling window that keeps a running mean and variance of what it holds: O(1) per value, nothing
 * allocated.
 *
 * Why integers: a floating-point running sum (add the new value, subtract the leaving one) carries the
 * rounding of every value it ever saw, so two instances fed different histories disagree in the last bits
 * about the same window, and a decision at a band's edge would then depend on how long the strategy had
 * run. The warm-up replays only recent ticks, so that would make a restarted strategy decide differently.
 * Here the sums are exact integers: the window's prices in paise, taken about the paise of its oldest
 * value (so they stay small), updated exactly and checked against Number.MAX_SAFE_INTEGER at every step.
 * Exact sums are a function of the window alone, whatever came before it. When a value is not whole
 * paise, or a sum would leave the safe integers, the figures are recomputed from the ring buffer in
 * getAverage/getStandardDeviation's own order (O(window)), which is a function of the window too.
 *
 * Precision: on the paise grid `mean()` and `variance()` are the exact figures correctly rounded, while
 * getAverage and getStandardDeviation round as they sum: the means differ by at most (n + 4) ulp of the
 * window's largest price (z-score.ts bounds a z-score, and keeps decisions identical to theirs).
 *
 * The hot paths (`push`, `exactMoments`) work on the ring directly and take their doubles through typed
 * arrays, never as arguments or results of a call: a double passed to or returned from a call V8 does
 * not inline is boxed, which is an allocation.
 */
export class RollingStats extends RollingWindow {
  /** Each slot's value in whole paise, NaN when it is not whole paise. */
  private readonly paise: Float64Array;
  /** Values held that are not whole paise: while any is, the sums are not kept. */
  private offGrid = 0;
  /** The paise of the oldest value held: the sums are taken about it. */
  private base = 0;
  /** Σ (paise − base) over the window. */
  private sum = 0;
  /** Σ (paise − base)² over the window. */
  private squares = 0;
  /** The sums are exact for the window; when false they are rebuilt from the window when next asked. */
  private exact = true;

  constructor(capacity: number) {
    super(capacity);
    this.paise = new Float64Array(capacity);
  }

  /** The window itself: what the reference figures (getAverage's order) are computed from. */
  get window(): RollingWindow {
    return this;
  }

  /** Folds the value just written (at `next`) into the sums. */
  protected override advance(): void {
    const cap = this.capacity;
    const slot = this.next;
    const x = this.values[slot]!;
    const full = this.count === cap;
    // Once full, the slot written was the oldest value's: it leaves.
    const leaving = full ? this.paise[slot]! : 0;
    let q = Math.round(x * 100);
    if (!(q / 100 === x && safe(q))) q = NaN;
    this.paise[slot] = q;
    super.advance();
    if (leaving !== leaving) this.offGrid--;
    if (q !== q) this.offGrid++;
    if (this.offGrid > 0) this.exact = false;
    if (!this.exact) return;
    const n = this.count;
    if (n === 1) {
      this.base = q;
      this.sum = 0;
      this.squares = 0;
      return;
    }
    if (full) {
      // The value that left was the oldest, the base: it added 0 to both sums. The sums move to the
      // new oldest value (its slot is the next to write): each remaining term c becomes c - d.
      const d = this.paise[this.next]! - this.base;
      const shift = (n - 1) * d;
      const cross = 2 * d * this.sum;
      const spread = shift * d;
      const sum = this.sum - shift;
      const partial = this.squares - cross;
      const squares = partial + spread;
      if (!(safe(shift) && safe(cross) && safe(spread) && safe(sum) && safe(partial) && safe(squares))) {
        this.exact = false;
        return;
      }
      this.base += d;
      this.sum = sum;
      this.squares = squares;
    }
    const c = q - this.base;
    const square = c * c;
    const sum = this.sum + c;
    const squares = this.squares + square;
    if (!(safe(c) && safe(square) && safe(sum) && safe(squares))) {
      this.exact = false;
      return;
    }
    this.sum = sum;
    this.squares = squares;
  }

  /** Whether the exact sums describe the window (rebuilding them from it if they had been dropped). */
  private exactSums(): boolean {
    if (this.exact) return true;
    if (this.offGrid > 0 || this.count === 0) return false;
    const n = this.count;
    const first = n === this.capacity ? this.next : 0;
    const base = this.paise[first]!;
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < n; i++) {
      let slot = first + i;
      if (slot >= this.capacity) slot -= this.capacity;
      const c = this.paise[slot]! - base;
      sum += c;
      squares += c * c;
      if (!(safe(c * c) && safe(sum) && safe(squares))) return false;
    }
    this.base = base;
    this.sum = sum;
    this.squares = squares;
    this.exact = true;
    return true;
  }

  /** The mean of the window; NaN when it is empty. */
  mean(): number {
    const n = this.count;
    if (n === 0) return NaN;
    if (this.exactSums()) {
      const total = n * this.base + this.sum;
      // Σ paise over 100 n: both exact, so one correctly rounded division.
      if (safe(n * this.base) && safe(total)) return total / (100 * n);
    }
    return meanInOrder(this);
  }

  /** The population variance of the window (what getStandardDeviation squares); NaN when it is empty. */
  variance(): number {
    const n = this.count;
    if (n === 0) return NaN;
    const spread = this.exactSpread();
    // n Σc² − (Σc)² is n² · 10⁴ times the variance in rupees: exact, so one correctly rounded division.
    return spread === spread ? spread / (10_000 * n * n) : varianceInOrder(this);
  }

  /** The population standard deviation of the window. */
  std(): number {
    return Math.sqrt(this.variance());
  }

  /**
   * The figures a z-score is made of, from the exact sums, through `io` (so that no double is boxed):
   * reads the price from [0]; writes [1] n·(paise of price) − Σ paise and [2] n·Σ paise² − (Σ paise)²,
   * both exact integers, so the exact z-score is [1] / √[2], and [3] the mean in rupees, correctly
   * rounded. False, nothing written, when the price or the window is not whole paise, an intermediate
   * would not be a safe integer, or the window has no spread.
   */
  exactMoments(io: Float64Array): boolean {
    if (!this.exactSums()) return false;
    const n = this.count;
    const a = n * this.squares;
    const b = this.sum * this.sum;
    const spread = a - b;
    if (!(safe(a) && safe(b) && spread > 0)) return false;
    const x = io[0]!;
    const q = Math.round(x * 100);
    const c = q - this.base;
    const scaled = n * c;
    const numerator = scaled - this.sum;
    const weighted = n * this.base;
    const total = weighted + this.sum;
    if (!(q / 100 === x && safe(q) && safe(c) && safe(scaled) && safe(numerator) && safe(weighted) && safe(total))) return false;
    io[1] = numerator;
    io[2] = spread;
    io[3] = total / (100 * n);
    return true;
  }

  /** The exact z-score of `x` (within 2 ulp: a square root and a division), or NaN where `exactMoments` is false. */
  exactZ(x: number): number {
    moments[0] = x;
    return this.exactMoments(moments) ? moments[1]! / Math.sqrt(moments[2]!) : NaN;
  }

  /** n Σc² − (Σc)², exactly, or NaN when the sums are not exact or it would not be a safe integer. */
  private exactSpread(): number {
    if (!this.exactSums()) return NaN;
    const a = this.count * this.squares;
    const b = this.sum * this.sum;
    return safe(a) && safe(b) ? a - b : NaN;
  }

  /**
   * Stats of another capacity over the newest values of this window (as many as fit): what a strategy
   * reconfigured with another window size carries over. Allocates; never on a tick's steady path.
   */
  override resized(capacity: number): RollingStats {
    const stats = new RollingStats(capacity);
    for (let i = Math.max(0, this.count - capacity); i < this.count; i++) stats.push(this.at(i));
    return stats;
  }
}
