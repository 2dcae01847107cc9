import { getAverage, getStandardDeviation } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/random.ts';
import { RollingStats } from '../../src/strategies/running-stats.ts';
import { zAtLeast, zAtMost, zScoreInOrder, zScoreWithError } from '../../src/strategies/z-score.ts';

/** What the old mean_reversion computed: (x - getAverage) / getStandardDeviation, NaN for no deviation. */
function libraryZ(values: number[], x: number): number {
  const mean = getAverage(values);
  const sd = getStandardDeviation(values, mean);
  return sd === 0 ? NaN : (x - mean) / sd;
}

const fed = (values: readonly number[]) => {
  const s = new RollingStats(values.length);
  for (const v of values) s.push(v);
  return s;
};

/** The exact z-score of paise `q` against windows of paise, by BigInt: is it <= t (or >= t) for t = num/den? */
function exactly(n: bigint, total: bigint, squares: bigint, q: bigint, num: bigint, den: bigint): { atMost: boolean; atLeast: boolean } {
  // z = N / sqrt(D); z <= t  <=>  N * den <= num * sqrt(D), compared by squares with the signs.
  const N = n * q - total;
  const D = n * squares - total * total;
  const left = N * den;
  const rightSquared = num * num * D;
  const leftSquared = left * left;
  const cmp = left < 0n && num >= 0n ? -1 : left >= 0n && num < 0n ? 1 : (left < 0n ? -1 : 1) * (leftSquared === rightSquared ? 0 : leftSquared < rightSquared ? -1 : 1);
  return { atMost: cmp <= 0, atLeast: cmp >= 0 };
}

describe('z-scores that decide as getAverage/getStandardDeviation did', () => {
  it('in their order, equal trading-signals figures bit for bit, on the grid and off it', () => {
    const random = seededRandom('in-order');
    for (let trial = 0; trial < 500; trial++) {
      const n = 2 + Math.floor(random() * 60);
      const onGrid = trial % 2 === 0;
      const values = Array.from({ length: n }, () => (onGrid ? (10_000 + 5 * Math.floor(random() * 100)) / 100 : 100 + random() * 5));
      const x = values[0]! - 0.35;
      expect(Object.is(zScoreInOrder(fed(values).window, x), libraryZ(values, x))).toBe(true);
    }
  });

  it('at an exact tie with the band, decide as their rounding does, on whichever side it falls', () => {
    // Windows m-s, m+s, m-s, m+s have mean m and deviation s exactly; the price m - 2s is exactly at z = -2.
    const sides = { inside: 0, outside: 0 };
    for (let m = 10_000; m < 300_000; m += 35) {
      for (const s of [5, 15, 35, 55, 105]) {
        const values = [m - s, m + s, m - s, m + s].map((q) => q / 100);
        const x = (m - 2 * s) / 100;
        const old = libraryZ(values, x);
        const stats = fed(values);
        expect(zAtMost(stats, x, -2), `window around ${m / 100} +- ${s / 100}`).toBe(old <= -2);
        expect(zAtLeast(stats, (m + s) / 100, 1)).toBe(libraryZ(values, (m + s) / 100) >= 1);
        if (old > -2) sides.outside++;
        else sides.inside++;
      }
    }
    // Exact arithmetic would say "at most -2" every time; their rounding says otherwise in many of these.
    expect(sides.outside).toBeGreaterThan(1_000);
    expect(sides.inside).toBeGreaterThan(1_000);
  });

  it('just past the band, decide as their rounding does where it puts a long window of high prices inside', () => {
    // 10,000 prices near 150,000 rupees, moved a paisa at a time until the exact z-score is within 1e-8 of a
    // band while their rounded one lies on the other side of it.
    for (const [threshold, side] of [[-2, 'atMost'], [-0.5, 'atLeast']] as const) {
      const random = seededRandom(`near-${threshold}`);
      const n = 10_000;
      const q = Array.from({ length: n }, () => 15_000_000 + Math.floor(random() * 500));
      let total = q.reduce((a, b) => a + BigInt(b), 0n);
      let squares = q.reduce((a, b) => a + BigInt(b) * BigInt(b), 0n);
      const N = BigInt(n);
      const zOf = (t: bigint, sq: bigint, price: number) => Number(N * BigInt(price) - t) / Math.sqrt(Number(N * sq - t * t));
      const sd = Math.sqrt(Number(N * squares - total * total)) / n;
      const price = Math.round(Number(total) / n + threshold * sd);
      let found = 0;
      for (let step = 0; step < 400_000 && found < 2; step++) {
        const i = Math.floor(random() * n);
        const moved = q[i]! + (random() < 0.5 ? -1 : 1);
        const t2 = total - BigInt(q[i]!) + BigInt(moved);
        const sq2 = squares - BigInt(q[i]!) ** 2n + BigInt(moved) ** 2n;
        const z = zOf(t2, sq2, price);
        // Stay near the band: a move that takes the z-score further from it than 1e-5 is not made.
        if (Math.abs(z - threshold) > 1e-5 && Math.abs(z - threshold) > Math.abs(zOf(total, squares, price) - threshold)) continue;
        q[i] = moved;
        total = t2;
        squares = sq2;
        if (Math.abs(z - threshold) > 1e-8) continue;
        const exact = exactly(N, total, squares, BigInt(price), BigInt(threshold * 2), 2n)[side];
        const values = q.map((v) => v / 100);
        const old = libraryZ(values, price / 100);
        const oldSays = side === 'atMost' ? old <= threshold : old >= threshold;
        if (oldSays === exact) continue;
        found++;
        const stats = fed(values);
        expect(side === 'atMost' ? zAtMost(stats, price / 100, threshold) : zAtLeast(stats, price / 100, threshold)).toBe(oldSays);
      }
      expect(found, `cases found for ${side} ${threshold}`).toBe(2);
    }
  });

  it('a window of one repeated price decides as their rounding does: a mean that rounds off makes a tiny deviation and a huge z-score', () => {
    const values = [0.1, 0.1, 0.1];
    expect(getAverage(values)).not.toBe(0.1);
    const stats = fed(values);
    expect(zAtMost(stats, 0.05, -1.5)).toBe(libraryZ(values, 0.05) <= -1.5);
    expect(zAtMost(stats, 0.05, -1.5)).toBe(true);
    // Where the mean is exact, there is no deviation and no decision.
    expect(zAtMost(fed([100, 100, 100]), 99.95, -1.5)).toBe(false);
    expect(zAtLeast(fed([100, 100, 100]), 100, -0.5)).toBe(false);
  });

  it('bound how far their z-score is from the exact one, even for long windows of high prices that hardly move', () => {
    const random = seededRandom('bound');
    let checked = 0;
    for (let trial = 0; trial < 60; trial++) {
      const n = [4, 30, 1_000, 10_000][trial % 4]!;
      const level = [5, 300_000, 15_000_000][trial % 3]!;
      const spread = [2, 20, 2_000][Math.floor(trial / 3) % 3]!;
      const q = Array.from({ length: n }, () => level + Math.floor(random() * spread));
      const price = level + Math.floor((random() - 0.5) * 4 * spread);
      const values = q.map((v) => v / 100);
      const stats = fed(values);
      const fast = zScoreWithError(stats, price / 100);
      if (!fast) continue;
      checked++;
      const old = libraryZ(values, price / 100);
      expect(Math.abs(old - fast.z), `n ${n}, level ${level}, spread ${spread}`).toBeLessThanOrEqual(fast.error + 4 * Number.EPSILON * Math.abs(fast.z));
      // Not vacuous: the bound leaves the fast path to nearly every decision.
      expect(fast.error).toBeLessThan(1e-3);
    }
    expect(checked).toBeGreaterThan(50);
  });
});
