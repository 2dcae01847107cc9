import { describe, expect, it } from 'vitest';
import { applyFill, averagePrice, FLAT, unrealized } from '../../src/portfolio/position.ts';
import { paperFillPrice } from '../../src/execution/fills.ts';

describe('position maths in paise', () => {
  it('a round trip realizes exactly sells minus buys, even when the average is not a whole paisa', () => {
    let p = applyFill(FLAT, 10, 10_005); // 10 @ 100.05
    p = applyFill(p, 5, 10_010); // 5 @ 100.10 -> cost 1,501.00, average 100.0667
    expect(p).toEqual({ quantity: 15, cost: 150_100, realized: 0 });
    p = applyFill(p, -12, 10_020); // cost removed round(150100 * 12 / 15) = 120080; realized 120240 - 120080
    expect(p).toEqual({ quantity: 3, cost: 30_020, realized: 160 });
    p = applyFill(p, -3, 9_990);
    expect(p).toEqual({ quantity: 0, cost: 0, realized: 110 });
    expect(110).toBe(12 * 10_020 + 3 * 9_990 - (10 * 10_005 + 5 * 10_010));
  });

  it('a fill through zero closes the long at a profit and opens a short at the fill price', () => {
    const p = applyFill(applyFill(FLAT, 3, 10_000), -5, 10_100);
    expect(p).toEqual({ quantity: -2, cost: -20_200, realized: 300 });
    expect(unrealized(p, 10_000)).toBe(200);
    expect(averagePrice(p)).toBe(10_100);
  });
});

describe('paper fill price', () => {
  const quote = { instrumentToken: 1, last: 10_000, bid: 9_995, ask: 10_005, volume: 0, exchangeTs: 0, simulated: false };

  it('buys at the best ask and sells at the best bid when depth is known', () => {
    expect(paperFillPrice('BUY', quote, 5, 0, 0.5)).toBe(10_005);
    expect(paperFillPrice('SELL', quote, 5, 0, 0.5)).toBe(9_995);
  });

  it('falls back to the last price, moves against the order by the slippage and rounds to the tick against it', () => {
    const noDepth = { ...quote, bid: undefined, ask: undefined };
    // 10 bps of 100.00 at u = 0.5 is 0.05: buy 100.05; sell 99.95. At u = 0.3 (0.03): buy rounds up to 100.05, sell down to 99.95.
    expect(paperFillPrice('BUY', noDepth, 5, 10, 0.5)).toBe(10_005);
    expect(paperFillPrice('SELL', noDepth, 5, 10, 0.5)).toBe(9_995);
    expect(paperFillPrice('BUY', noDepth, 5, 10, 0.3)).toBe(10_005);
    expect(paperFillPrice('SELL', noDepth, 5, 10, 0.3)).toBe(9_995);
  });
});
