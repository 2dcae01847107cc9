import type { RollingWindow } from './rolling-window.ts';
import { meanInOrder, varianceInOrder, type RollingStats } from './running-stats.ts';

/** The unit roundoff of a double: half an ulp of 1. */
const U = Number.EPSILON / 2;

/**
 * The z-score of `x` against the window exactly as (x - getAverage(w)) / getStandardDeviation(w, mean)
 * of trading-signals computes it, in its order, without its arrays; NaN when that deviation is 0.
 * O(window): the reference the O(1) comparisons below fall back to, and what a signal's reason quotes.
 */
export function zScoreInOrder(window: RollingWindow, x: number): number {
  const mean = meanInOrder(window);
  const sd = Math.sqrt(varianceInOrder(window, mean));
  return sd === 0 ? NaN : (x - mean) / sd;
}

/**
 * Between the functions below, doubles travel in this array, never as arguments or results: a double
 * passed to or returned from a call V8 does not inline is boxed, an allocation on every tick.
 * [0] price, [1]-[3] what `RollingStats.exactMoments` writes (numerator, spread, mean), [4] threshold,
 * [5] the fast z-score, [6] the bound on the in-order one's error.
 */
const io = new Float64Array(7);

/**
 * The exact z-score of the price in io[0] (io[5], within 2 ulp: a square root and a division), and how far
 * the one getAverage/getStandardDeviation compute can be from it (io[6]). False when there are no exact
 * figures (a price off the paise grid, sums past the safe integers, no spread).
 *
 * The bound comes from the standard error bounds of recursive summation (Higham, Accuracy and Stability of
 * Numerical Algorithms, ch. 3-4), for n prices that are the nearest doubles to whole paise, u the unit
 * roundoff, M a bound on every price (M ≤ |mean| + √n·sd, as no value is further than √n·sd from the
 * mean): their mean is off by at most e = (n + 3)·u·M; each deviation by u·M + e; their deviation figure
 * by that plus (n/2 + 3)·u of itself; the quotient follows. Infinite when the deviation is too small for
 * the bound to say anything.
 */
function estimate(stats: RollingStats): boolean {
  if (!stats.exactMoments(io)) return false;
  const n = stats.length;
  const root = Math.sqrt(io[2]!);
  const z = io[1]! / root;
  const sd = root / (100 * n);
  const m = Math.max(Math.abs(io[3]!) + Math.sqrt(n) * sd, Math.abs(io[0]!)) * (1 + 1e-9);
  const offset = U * m + (n + 3) * U * m;
  const theta = (n / 2 + 3) * U;
  const sdError = offset * (1 + theta) + sd * theta;
  const az = Math.abs(z);
  const numeratorError = offset + U * (az * sd + offset);
  io[5] = z;
  // Two stores, not one of a conditional: a phi of a double and the constant Infinity is boxed.
  if (sd > 2 * sdError) io[6] = ((numeratorError + az * sdError) / (sd - sdError)) * (1 + 2 * U) + U * az;
  else io[6] = Infinity;
  return true;
}

/**
 * The exact z-score of `x` against the window and the bound on how far getAverage/getStandardDeviation's
 * can be from it; undefined where there are no exact figures. Allocates its answer: for tests and tools,
 * not a tick's path.
 */
export function zScoreWithError(stats: RollingStats, x: number): { readonly z: number; readonly error: number } | undefined {
  io[0] = x;
  return estimate(stats) ? { z: io[5]!, error: io[6]! } : undefined;
}

/**
 * Which side of the threshold (io[4]) the z-score of the price (io[0]) is on as getAverage and
 * getStandardDeviation compute it: -1 below, 1 above, 0 when it cannot tell from the exact figures (they
 * are within rounding of the threshold, or there are none) and the reference must decide. The margin is
 * twice the bound plus the fast figure's 2 ulp (the bound is itself computed from rounded figures), and
 * never under a few ulp of the figures compared.
 */
function side(stats: RollingStats): number {
  if (!estimate(stats)) return 0;
  const z = io[5]!;
  const threshold = io[4]!;
  const az = Math.abs(z);
  const margin = 2 * (io[6]! + 2 * U * az) + 8 * U * (Math.abs(threshold) + az);
  return z < threshold - margin ? -1 : z > threshold + margin ? 1 : 0;
}

/**
 * Whether the z-score of `x` against the window, as getAverage/getStandardDeviation compute it, is at most
 * `threshold` (false when their deviation is 0): the same answer, O(1) unless the figure is within
 * rounding of the threshold (or not on the paise grid), when it is computed their way from the window.
 */
export function zAtMost(stats: RollingStats, x: number, threshold: number): boolean {
  io[0] = x;
  io[4] = threshold;
  const s = side(stats);
  return s === 0 ? zScoreInOrder(stats.window, x) <= threshold : s < 0;
}

/** Whether that z-score is at least `threshold` (false when the deviation is 0); as `zAtMost`. */
export function zAtLeast(stats: RollingStats, x: number, threshold: number): boolean {
  io[0] = x;
  io[4] = threshold;
  const s = side(stats);
  return s === 0 ? zScoreInOrder(stats.window, x) >= threshold : s > 0;
}
