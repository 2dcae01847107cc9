import { getMaximum, getMinimum } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import { RollingExtreme, RollingRange } from '../../src/strategies/monotonic-deque.ts';
import { seededRandom } from '../../src/random.ts';

/** Prices on a coarse grid, so equal values (ties for the extreme) are common. */
function prices(seed: string, n: number): number[] {
  const random = seededRandom(seed);
  let p = 10_000;
  return Array.from({ length: n }, () => (p = Math.max(5, p + 5 * Math.round((random() - 0.5) * 3))) / 100);
}

describe('rolling highs and lows by monotonic deques', () => {
  it('are the highest and lowest of the last capacity values, as getMaximum and getMinimum find them', () => {
    const series = prices('deque', 5_000);
    for (const capacity of [1, 2, 3, 20, 257]) {
      const range = new RollingRange(capacity);
      series.forEach((p, n) => {
        range.push(p);
        const window = series.slice(Math.max(0, n + 1 - capacity), n + 1);
        expect(range.high.value).toBe(getMaximum(window));
        expect(range.low.value).toBe(getMinimum(window));
        expect(range.full).toBe(n + 1 >= capacity);
      });
    }
  });

  it('follow a falling series, where every value stays in the highest deque until it leaves the window', () => {
    const high = new RollingExtreme(3, 'highest');
    const seen: number[] = [];
    for (const p of [10, 9, 8, 7, 6, 5]) {
      high.push(p);
      seen.push(high.value);
    }
    expect(seen).toEqual([10, 10, 10, 9, 8, 7]);
  });

  it('refuse to name an extreme before the first value', () => {
    expect(() => new RollingExtreme(3, 'lowest').value).toThrow(RangeError);
  });

  it('resized smaller, answer for the newest values at once; resized larger, are full again only after new values fill the window', () => {
    const series = prices('resize', 400);
    const range = new RollingRange(50);
    for (const p of series.slice(0, 300)) range.push(p);
    const smaller = range.resized(10);
    expect(smaller.full).toBe(true);
    const larger = range.resized(80);
    expect(larger.full).toBe(false);
    series.slice(300).forEach((p, i) => {
      const n = 300 + i;
      for (const [r, size] of [[smaller, 10], [larger, 80]] as const) {
        if (r.full) {
          const window = series.slice(n - size, n);
          expect([r.high.value, r.low.value]).toEqual([getMaximum(window), getMinimum(window)]);
        }
        r.push(p);
      }
      // 50 values carried over, so the larger one is full after 30 more.
      expect(larger.full).toBe(i + 1 >= 30);
    });
  });
});
