import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { feeModel, FeeSchedules } from '../../src/execution/fees.ts';
import { applyRate, mulDivRound, perCroreRate, percentRate } from '../../src/money.ts';

/** The schedules as shipped in config/default.yaml: what a user is charged by. */
const fees = feeModel(loadConfig({}).fees);
const eq = (side: 'BUY' | 'SELL', turnoverPaise: number, date: string) => fees(side, turnoverPaise, 'equity_intraday', date);

describe('Zerodha equity intraday charges by trade date, each charge rounded on its own', () => {
  it('a buy of 100 @ 1,400.50 on 2025-08-11 costs 33.04 by the 2024-10-01 schedule', () => {
    // turnover 1,40,050.00: brokerage 0.03% = 42.015 -> capped 20.00; transaction 0.00297% = 4.159485 -> 4.16;
    // IPFT Rs 10/crore = 0.14005 -> 0.14; SEBI Rs 10/crore -> 0.14; stamp 0.003% = 4.2015 -> 4.20;
    // GST 18% of (20.00 + 4.16 + 0.14 + 0.14) = 4.3992 -> 4.40.
    expect(eq('BUY', 100 * 140_050, '2025-08-11')).toEqual({ brokerage: 2000, stt: 0, transaction: 416, ipft: 14, sebi: 14, gst: 440, stamp: 420, total: 3304, schedule: 'zerodha-eq-intraday-2024-10' });
  });

  it('the sell costs 63.84: STT 0.025% = 35.0125, rounded to the rupee, and no stamp duty', () => {
    expect(eq('SELL', 100 * 140_050, '2025-08-11')).toEqual({ brokerage: 2000, stt: 3500, transaction: 416, ipft: 14, sebi: 14, gst: 440, stamp: 0, total: 6384, schedule: 'zerodha-eq-intraday-2024-10' });
  });

  it('puts the SEBI fee in the base GST is charged on', () => {
    const c = eq('BUY', 100 * 140_050, '2025-08-11')!;
    // 18% of 24.44 = 4.3992 -> 4.40; without the SEBI fee it would be 18% of 24.30 = 4.374 -> 4.37.
    expect(c.gst).toBe(applyRate(c.brokerage + c.transaction + c.ipft + c.sebi, percentRate(18)));
    expect(c.gst).toBe(440);
  });

  it('rounds STT to the rupee, half up, at a .50 boundary', () => {
    expect(eq('SELL', 100 * 142_000, '2025-08-11')!.stt).toBe(3600); // 0.025% of 1,42,000 = 35.50 -> 36
    expect(eq('SELL', 100 * 141_960, '2025-08-11')!.stt).toBe(3500); // 35.49 -> 35
  });

  it('charges a fill before 2024-10-01 by the schedule then in force', () => {
    // 2023-04-01 schedule: transaction 0.00325% = 4.551625 -> 4.55; GST not on IPFT: 18% of 24.69 = 4.4442 -> 4.44.
    expect(eq('BUY', 100 * 140_050, '2024-09-30')).toEqual({ brokerage: 2000, stt: 0, transaction: 455, ipft: 14, sebi: 14, gst: 444, stamp: 420, total: 3347, schedule: 'zerodha-eq-intraday-2023-04' });
    // 2021-01-01 schedule: 0.00345% = 4.831725 -> 4.83; IPFT Rs 0.01/crore rounds to nothing; GST 18% of 24.97 = 4.4946 -> 4.49.
    expect(eq('BUY', 100 * 140_050, '2022-06-01')).toEqual({ brokerage: 2000, stt: 0, transaction: 483, ipft: 0, sebi: 14, gst: 449, stamp: 420, total: 3366, schedule: 'zerodha-eq-intraday-2021-01' });
  });

  it('has nothing to charge a trade dated before every schedule: the caller fails the order', () => {
    expect(eq('BUY', 100 * 140_050, '2020-12-31')).toBeUndefined();
  });
});

describe('Zerodha index futures charges', () => {
  it('a lot of NIFTY (75 @ 24,402.00) bought and sold on 2025-08-11', () => {
    // turnover 18,30,150.00: brokerage capped 20.00; transaction 0.00173% = 31.661595 -> 31.66; IPFT and SEBI
    // Rs 10/crore = 1.83015 -> 1.83 each; stamp 0.002% = 36.603 -> 36.60; GST 18% of 55.32 = 9.9576 -> 9.96.
    expect(fees('BUY', 75 * 2_440_200, 'futures', '2025-08-11')).toEqual({ brokerage: 2000, stt: 0, transaction: 3166, ipft: 183, sebi: 183, gst: 996, stamp: 3660, total: 10188, schedule: 'zerodha-futures-2024-10' });
    // STT 0.02% = 366.03 -> 366.
    expect(fees('SELL', 75 * 2_440_200, 'futures', '2025-08-11')!.total).toBe(2000 + 36_600 + 3166 + 183 + 183 + 996);
  });
});

describe('fee schedules in configuration', () => {
  it('the original design flat commission charges one percent of turnover, rounded to the paisa', () => {
    const flat = feeModel([{ id: 'flat', model: 'flat_percent', segment: 'equity_intraday', effectiveFrom: '2000-01-01', commissionPercent: 0.1 }]);
    expect(flat('SELL', 10 * 25_035, 'equity_intraday', '2025-08-11')!.total).toBe(250); // 0.1% of 2,503.50 = 2.5035 -> 2.50
  });

  it('refuses two schedules of a segment taking effect on one day, and a repeated id', () => {
    const base = loadConfig({}).fees[0]!;
    const twice = FeeSchedules.safeParse([base, { ...base, id: 'other' }]);
    expect(twice.success).toBe(false);
    expect(twice.error!.issues[0]!.message).toMatch(/two equity_intraday schedules take effect on 2024-10-01/);
    expect(FeeSchedules.safeParse([base, { ...base, effectiveFrom: '2030-01-01' }]).error!.issues[0]!.message).toMatch(/used twice/);
  });
});

describe('money arithmetic', () => {
  it('rounds half away from zero exactly, beyond float precision', () => {
    expect(mulDivRound(5, 1, 2)).toBe(3);
    expect(mulDivRound(-5, 1, 2)).toBe(-3);
    expect(mulDivRound(9_007_199_254_740_991, 3, 3)).toBe(9_007_199_254_740_991);
  });

  it('holds rates exactly as written, however many decimals (Rs 0.01 per crore is 1e-9)', () => {
    expect(perCroreRate(0.01)).toEqual({ num: 1n, den: 1_000_000_000n });
    expect(percentRate(0.00297)).toEqual({ num: 297n, den: 10_000_000n });
    expect(applyRate(1_000_000_000_000, perCroreRate(0.01))).toBe(1_000); // Rs 0.01 per crore on Rs 1,000 crore is Rs 10
    expect(applyRate(50, percentRate(1))).toBe(1); // 0.5 paise rounds half up
  });
});
