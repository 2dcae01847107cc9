import { getAverage, getStandardDeviation } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/random.ts';
import { paiseOf, RollingStats } from '../../src/strategies/running-stats.ts';

const fed = (capacity: number, values: readonly number[]) => {
  const s = new RollingStats(capacity);
  for (const v of values) s.push(v);
  return s;
};

/** The last ulp of x: the spacing of doubles there. */
const ulp = (x: number) => 2 ** (Math.floor(Math.log2(Math.abs(x))) - 52);

/** A series on the 0.05 grid with, now and then, a wild print (a hundred thousand times the price) or a price off the grid. */
function wildSeries(seed: string, n: number): number[] {
  const random = seededRandom(seed);
  let paise = 250_000;
  return Array.from({ length: n }, () => {
    paise = Math.max(5, paise + 5 * Math.round((random() - 0.5) * 8));
    const r = random();
    return r < 0.01 ? (paise * 100_000) / 100 : r < 0.02 ? paise / 100 + 0.0031 : paise / 100;
  });
}

describe('running mean and variance over a window', () => {
  it('are a function of the window alone: after a long history of wild prints and prices off the grid, bit for bit those of stats fed only the window', () => {
    const series = wildSeries('history', 100_000);
    for (const capacity of [2, 30, 500]) {
      const long = new RollingStats(capacity);
      series.forEach((v, n) => {
        long.push(v);
        if (n % 997 !== 0 || n < capacity) return;
        const fresh = fed(capacity, series.slice(n + 1 - capacity, n + 1));
        expect([long.mean(), long.variance(), long.exactZ(series[n]! - 1)]).toEqual([fresh.mean(), fresh.variance(), fresh.exactZ(series[n]! - 1)]);
      });
    }
  });

  it('on the paise grid are the exact mean and variance, where summing doubles is not', () => {
    const s = fed(3, [0.1, 0.2, 0.3]);
    expect(getAverage([0.1, 0.2, 0.3])).toBe(0.20000000000000004);
    expect(s.mean()).toBe(0.2);
    // Deviations of 0.1 around 0.2: a variance of 0.02 / 3.
    expect(s.variance()).toBe(0.02 / 3);
  });

  it('on the paise grid stay within (n + 4) ulp of the largest price of what getAverage computes, and as close in the deviation', () => {
    const random = seededRandom('close');
    for (let trial = 0; trial < 300; trial++) {
      const n = 2 + Math.floor(random() * 400);
      const level = [100, 3_000, 150_000][trial % 3]! * 100;
      const values = Array.from({ length: n }, () => (level + 5 * Math.floor(random() * 200)) / 100);
      const s = fed(n, values);
      const mean = getAverage(values);
      const max = Math.max(...values);
      expect(Math.abs(s.mean() - mean)).toBeLessThanOrEqual((n + 4) * ulp(max));
      const sd = getStandardDeviation(values, mean);
      // The deviation's own error bound: the mean's error plus (n/2 + 3) units of roundoff of the deviation.
      expect(Math.abs(s.std() - sd)).toBeLessThanOrEqual((n + 5) * ulp(max) + (n / 2 + 4) * ulp(sd));
    }
  });

  it('off the paise grid are what getAverage and getStandardDeviation compute, bit for bit (recomputed in their order)', () => {
    const random = seededRandom('off-grid');
    const values = Array.from({ length: 250 }, () => 100 + random() * 50);
    const s = fed(250, values);
    expect(s.mean()).toBe(getAverage(values));
    expect(s.std()).toBe(getStandardDeviation(values, getAverage(values)));
  });

  it('take the exact path again once the last price off the grid has left the window', () => {
    const s = fed(3, [100.05, 100.123, 100.1]);
    expect(s.exactZ(100)).toBeNaN();
    s.push(100.15);
    expect(s.exactZ(100)).toBeNaN();
    s.push(100.2);
    // Paise 10010, 10015, 10020: z of 100.00 is (3 * 10000 - 30045) / sqrt(3 * (10010² + 10015² + 10020²) - 30045²).
    expect(s.exactZ(100)).toBe(-45 / Math.sqrt(150));
  });

  it('recognise whole paise only when the double is the one nearest a whole number of paise', () => {
    expect(paiseOf(1234.55)).toBe(123_455);
    expect(paiseOf(0.05)).toBe(5);
    expect(paiseOf(1234.555)).toBeNaN();
    expect(paiseOf(0.1 + 0.2)).toBeNaN();
    expect(paiseOf(Infinity)).toBeNaN();
  });

  it('resized, keep the newest values that fit', () => {
    const s = fed(5, [1, 2, 3, 4, 5, 6]);
    const smaller = s.resized(2);
    expect([smaller.length, smaller.mean()]).toEqual([2, 5.5]);
    expect(s.resized(10).mean()).toBe(4);
  });
});
