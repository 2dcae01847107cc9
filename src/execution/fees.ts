import { z } from 'zod';
import type { Instrument } from '../market/instruments.ts';
import { applyRate, perCroreRate, percentRate, type Paise, type Rate } from '../money.ts';

/**
 * Fee schedules: what one executed order costs. Rates change on known dates, so every schedule says
 * the day it took effect, and a fill is charged by the schedule of its segment in force on its trade
 * date (IST): a replay of 2025-08-11 pays 2025-08-11's rates. Each charge is rounded half up on its own,
 * as a contract note shows them: to the paisa, STT to the rupee.
 */
export const FeeSegment = z.enum(['equity_intraday', 'futures']);
export type FeeSegment = z.infer<typeof FeeSegment>;

/** The schedule segment an instrument's orders are charged by: futures, or equity intraday (MIS). */
export const feeSegmentOf = (instrument: Pick<Instrument, 'kind'> | undefined): FeeSegment => (instrument?.kind === 'future' ? 'futures' : 'equity_intraday');

const Percent = z.number().min(0).max(100);

/** A broker's charge structure (Zerodha's: brokerage, STT, transaction + IPFT, SEBI, stamp, GST). */
export const BrokerSchedule = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
  model: z.literal('broker'),
  segment: FeeSegment,
  effectiveFrom: z.iso.date(),
  brokeragePercent: Percent,
  brokerageCapRupees: z.number().min(0),
  sttSellPercent: Percent,
  transactionPercent: Percent,
  /** NSE's Investor Protection Fund Trust charge, rupees per crore of turnover. */
  ipftPerCrore: z.number().min(0),
  sebiPerCrore: z.number().min(0),
  stampBuyPercent: Percent,
  gstPercent: Percent,
  /** Whether GST is charged on IPFT too (Zerodha from 2024-10-01 shows IPFT within transaction charges). */
  gstOnIpft: z.boolean(),
});

/** The original design's model: one commission percent of turnover. */
export const FlatSchedule = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
  model: z.literal('flat_percent'),
  segment: FeeSegment,
  effectiveFrom: z.iso.date(),
  commissionPercent: Percent,
});

export const FeeSchedule = z.discriminatedUnion('model', [BrokerSchedule, FlatSchedule]);
export type FeeSchedule = z.infer<typeof FeeSchedule>;

export const FeeSchedules = z
  .array(FeeSchedule)
  .min(1)
  .superRefine((list, ctx) => {
    const ids = new Set<string>();
    const dates = new Set<string>();
    list.forEach((s, i) => {
      if (ids.has(s.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `schedule id '${s.id}' is used twice` });
      const day = `${s.segment} ${s.effectiveFrom}`;
      if (dates.has(day)) ctx.addIssue({ code: 'custom', path: [i, 'effectiveFrom'], message: `two ${s.segment} schedules take effect on ${s.effectiveFrom}` });
      ids.add(s.id);
      dates.add(day);
    });
  });

export interface Charges {
  readonly brokerage: Paise;
  readonly stt: Paise;
  readonly transaction: Paise;
  readonly ipft: Paise;
  readonly sebi: Paise;
  readonly gst: Paise;
  readonly stamp: Paise;
  readonly total: Paise;
  /** The schedule's id: which rates were applied. */
  readonly schedule: string;
}

/** What one order costs: undefined when no schedule of its segment was in force on its trade date. */
export type FeeModel = (side: 'BUY' | 'SELL', turnover: Paise, segment: FeeSegment, tradeDate: string) => Charges | undefined;

type Charge = (side: 'BUY' | 'SELL', turnover: Paise) => Charges;

function compile(s: FeeSchedule): Charge {
  if (s.model === 'flat_percent') {
    const rate = percentRate(s.commissionPercent);
    return (_side, turnover) => total({ brokerage: applyRate(turnover, rate) }, s.id);
  }
  const r: Record<'brokerage' | 'stt' | 'transaction' | 'ipft' | 'sebi' | 'stamp' | 'gst', Rate> = {
    brokerage: percentRate(s.brokeragePercent),
    stt: percentRate(s.sttSellPercent),
    transaction: percentRate(s.transactionPercent),
    ipft: perCroreRate(s.ipftPerCrore),
    sebi: perCroreRate(s.sebiPerCrore),
    stamp: percentRate(s.stampBuyPercent),
    gst: percentRate(s.gstPercent),
  };
  const cap = Math.round(s.brokerageCapRupees * 100);
  return (side, turnover) => {
    const brokerage = Math.min(applyRate(turnover, r.brokerage), cap);
    const transaction = applyRate(turnover, r.transaction);
    const ipft = applyRate(turnover, r.ipft);
    const sebi = applyRate(turnover, r.sebi);
    // GST is on the rounded brokerage, transaction charges (IPFT where the schedule says) and SEBI fee.
    const gst = applyRate(brokerage + transaction + (s.gstOnIpft ? ipft : 0) + sebi, r.gst);
    return total(
      {
        brokerage,
        // "STT/CTT charged will be rounded off to the nearest rupee" (Zerodha).
        stt: side === 'SELL' ? applyRate(turnover, r.stt, 100) : 0,
        transaction,
        ipft,
        sebi,
        gst,
        stamp: side === 'BUY' ? applyRate(turnover, r.stamp) : 0,
      },
      s.id,
    );
  };
}

function total(c: Partial<Omit<Charges, 'total' | 'schedule'>>, schedule: string): Charges {
  const full = { brokerage: 0, stt: 0, transaction: 0, ipft: 0, sebi: 0, gst: 0, stamp: 0, ...c };
  return { ...full, total: full.brokerage + full.stt + full.transaction + full.ipft + full.sebi + full.gst + full.stamp, schedule };
}

/** The fee model over dated schedules: per segment, the latest schedule that took effect on or before the trade date. */
export function feeModel(schedules: readonly FeeSchedule[]): FeeModel {
  const bySegment = new Map<FeeSegment, Array<{ from: string; charge: Charge }>>();
  for (const s of schedules) {
    let list = bySegment.get(s.segment);
    if (!list) bySegment.set(s.segment, (list = []));
    list.push({ from: s.effectiveFrom, charge: compile(s) });
  }
  for (const list of bySegment.values()) list.sort((a, b) => (a.from < b.from ? 1 : -1));
  return (side, turnover, segment, tradeDate) => bySegment.get(segment)?.find((s) => s.from <= tradeDate)?.charge(side, turnover);
}

/**
 * The charges of one part of an order filled in parts: what the order costs with this part, less what it
 * cost before it. Brokerage is capped per order and STT rounded per order, so charging each part as an
 * order of its own would overcharge; the differences add up to exactly the whole order's charges.
 */
export function partCharges(fees: FeeModel, side: 'BUY' | 'SELL', before: Paise, part: Paise, segment: FeeSegment, tradeDate: string): Charges | undefined {
  const upTo = fees(side, before + part, segment, tradeDate);
  if (!upTo || before === 0) return upTo;
  const prior = fees(side, before, segment, tradeDate)!;
  const diff = (k: 'brokerage' | 'stt' | 'transaction' | 'ipft' | 'sebi' | 'gst' | 'stamp') => upTo[k] - prior[k];
  return total({ brokerage: diff('brokerage'), stt: diff('stt'), transaction: diff('transaction'), ipft: diff('ipft'), sebi: diff('sebi'), gst: diff('gst'), stamp: diff('stamp') }, upTo.schedule);
}
