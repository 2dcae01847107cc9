import { z } from 'zod';
import { applyRate, percentRate, type Paise, type Rate } from '../money.ts';

/**
 * Fee models: pure functions of one executed order. Rates live in configuration with the date they took
 * effect, because they change. Each charge is rounded to the paisa (half away from zero).
 */
export const ZerodhaEquityIntraday = z.strictObject({
  model: z.literal('zerodha_equity_intraday'),
  effectiveFrom: z.iso.date(),
  brokeragePercent: z.number().min(0),
  brokerageCapRupees: z.number().min(0),
  sttSellPercent: z.number().min(0),
  exchangePercent: z.number().min(0),
  gstPercent: z.number().min(0),
  sebiPercent: z.number().min(0),
  stampBuyPercent: z.number().min(0),
});

/** The original design's model: one commission percent of turnover. */
export const FlatCommission = z.strictObject({
  model: z.literal('flat_percent'),
  commissionPercent: z.number().min(0),
});

export const FeeSchedule = z.discriminatedUnion('model', [ZerodhaEquityIntraday, FlatCommission]);
export type FeeSchedule = z.infer<typeof FeeSchedule>;

export interface Charges {
  readonly brokerage: Paise;
  readonly stt: Paise;
  readonly exchange: Paise;
  readonly gst: Paise;
  readonly sebi: Paise;
  readonly stamp: Paise;
  readonly total: Paise;
}

export type FeeModel = (side: 'BUY' | 'SELL', turnover: Paise) => Charges;

export function feeModel(schedule: FeeSchedule): FeeModel {
  if (schedule.model === 'flat_percent') {
    const rate = percentRate(schedule.commissionPercent);
    return (_side, turnover) => charges({ brokerage: applyRate(turnover, rate) });
  }
  const r = {
    brokerage: percentRate(schedule.brokeragePercent),
    stt: percentRate(schedule.sttSellPercent),
    exchange: percentRate(schedule.exchangePercent),
    gst: percentRate(schedule.gstPercent),
    sebi: percentRate(schedule.sebiPercent),
    stamp: percentRate(schedule.stampBuyPercent),
  } satisfies Record<string, Rate>;
  const cap = Math.round(schedule.brokerageCapRupees * 100);
  return (side, turnover) => {
    const brokerage = Math.min(applyRate(turnover, r.brokerage), cap);
    const exchange = applyRate(turnover, r.exchange);
    return charges({
      brokerage,
      stt: side === 'SELL' ? applyRate(turnover, r.stt) : 0,
      exchange,
      // GST is charged on brokerage and the exchange's transaction charge.
      gst: applyRate(brokerage + exchange, r.gst),
      sebi: applyRate(turnover, r.sebi),
      stamp: side === 'BUY' ? applyRate(turnover, r.stamp) : 0,
    });
  };
}

function charges(c: Partial<Omit<Charges, 'total'>>): Charges {
  const full = { brokerage: 0, stt: 0, exchange: 0, gst: 0, sebi: 0, stamp: 0, ...c };
  return { ...full, total: full.brokerage + full.stt + full.exchange + full.gst + full.sebi + full.stamp };
}
