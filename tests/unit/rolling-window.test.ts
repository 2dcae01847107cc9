import { describe, expect, it } from 'vitest';
import { RollingWindow } from '../../src/strategies/rolling-window.ts';

const filled = (capacity: number, values: number[]) => {
  const w = new RollingWindow(capacity);
  for (const v of values) w.push(v);
  return w;
};
const contents = (w: RollingWindow) => Array.from({ length: w.length }, (_, i) => w.at(i));

describe('a rolling window', () => {
  it('keeps the last capacity values, oldest first, as a roll of the array would', () => {
    const values = Array.from({ length: 23 }, (_, i) => 100 + i * 0.05);
    for (const capacity of [1, 2, 5, 7]) {
      const w = new RollingWindow(capacity);
      values.forEach((v, n) => {
        w.push(v);
        expect(contents(w)).toEqual(values.slice(Math.max(0, n + 1 - capacity), n + 1));
        expect(w.full).toBe(n + 1 >= capacity);
      });
    }
  });

  it('gives the value N ticks back, the newest at 0 and the oldest at length - 1', () => {
    const w = filled(4, [1, 2, 3, 4, 5, 6]);
    expect([0, 1, 2, 3].map((k) => w.ago(k))).toEqual([6, 5, 4, 3]);
    expect(w.oldest).toBe(3);
  });

  it('refuses to read past what it holds instead of returning a stale slot', () => {
    const w = filled(4, [1, 2]);
    expect(() => w.ago(2)).toThrow(RangeError);
    expect(() => w.at(-1)).toThrow(RangeError);
    expect(() => new RollingWindow(0)).toThrow(RangeError);
  });

  it('resized, keeps the newest values that fit, and goes on rolling at the new size', () => {
    const w = filled(5, [1, 2, 3, 4, 5, 6, 7]);
    const smaller = w.resized(2);
    expect(contents(smaller)).toEqual([6, 7]);
    const larger = w.resized(8);
    expect(contents(larger)).toEqual([3, 4, 5, 6, 7]);
    expect(larger.full).toBe(false);
    for (const v of [8, 9, 10, 11]) larger.push(v);
    expect(contents(larger)).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    // The original is untouched.
    expect(contents(w)).toEqual([3, 4, 5, 6, 7]);
  });
});
