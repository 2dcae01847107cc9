import { describe, expect, it } from 'vitest';
import { feeModel, type FeeSchedule } from '../../src/execution/fees.ts';
import { applyRate, mulDivRound, percentRate } from '../../src/money.ts';

const zerodha: FeeSchedule = {
  model: 'zerodha_equity_intraday',
  effectiveFrom: '2024-10-01',
  brokeragePercent: 0.03,
  brokerageCapRupees: 20,
  sttSellPercent: 0.025,
  exchangePercent: 0.00345,
  gstPercent: 18,
  sebiPercent: 0.0001,
  stampBuyPercent: 0.003,
};

describe('Zerodha equity intraday charges, to the paisa', () => {
  const fees = feeModel(zerodha);

  it('a buy of 100 @ 1400.50 (turnover 1,40,050.00) caps brokerage at 20 and pays stamp duty, no STT', () => {
    // brokerage 0.03% = 42.015 -> capped 20.00; exchange 0.00345% = 4.831725 -> 4.83; SEBI 0.0001% = 0.14005 -> 0.14;
    // stamp 0.003% = 4.2015 -> 4.20; GST 18% of (20.00 + 4.83) = 4.4694 -> 4.47. Total 33.64.
    expect(fees('BUY', 100 * 140_050)).toEqual({ brokerage: 2000, stt: 0, exchange: 483, gst: 447, sebi: 14, stamp: 420, total: 3364 });
  });

  it('a sell of 100 @ 1400.50 pays STT 0.025% (35.0125 -> 35.01) and no stamp duty', () => {
    expect(fees('SELL', 100 * 140_050)).toEqual({ brokerage: 2000, stt: 3501, exchange: 483, gst: 447, sebi: 14, stamp: 0, total: 6445 });
  });

  it('a small buy of 10 @ 250.35 pays percentage brokerage below the cap', () => {
    // turnover 2,503.50: brokerage 0.75105 -> 0.75; exchange 0.0863708 -> 0.09; SEBI 0.0025 -> 0.00; stamp 0.075105 -> 0.08;
    // GST 18% of 0.84 = 0.1512 -> 0.15. Total 1.07.
    expect(fees('BUY', 10 * 25_035)).toEqual({ brokerage: 75, stt: 0, exchange: 9, gst: 15, sebi: 0, stamp: 8, total: 107 });
  });
});

describe('flat commission (the original design)', () => {
  it('charges one percent of turnover, rounded to the paisa', () => {
    const fees = feeModel({ model: 'flat_percent', commissionPercent: 0.1 });
    expect(fees('SELL', 10 * 25_035).total).toBe(250); // 0.1% of 2,503.50 = 2.5035 -> 2.50
  });
});

describe('money arithmetic', () => {
  it('rounds half away from zero exactly, beyond float precision', () => {
    expect(mulDivRound(5, 1, 2)).toBe(3);
    expect(mulDivRound(-5, 1, 2)).toBe(-3);
    expect(mulDivRound(9_007_199_254_740_991, 3, 3)).toBe(9_007_199_254_740_991);
  });

  it('refuses a rate with more than five decimals of a percent instead of rounding it away', () => {
    expect(() => percentRate(0.000001)).toThrow(/five decimals/);
    expect(applyRate(1_000_000_000, percentRate(0.00001))).toBe(100);
  });
});
