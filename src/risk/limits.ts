import { z } from 'zod';
import { MarketHours } from '../market/market-hours.ts';

/** Risk limits, one set per broker namespace. Money in rupees here; the engine works in paise. */
export const RiskLimits = z.strictObject({
  maxQuantityPerOrder: z.number().int().positive(),
  maxNotionalPerOrder: z.number().positive(),
  /** |net quantity| per instrument, across strategies. */
  maxPositionPerInstrument: z.number().int().positive(),
  /** Gross notional one strategy may hold, across its instruments. */
  maxPositionPerStrategy: z.number().positive(),
  /** Gross notional across everything. */
  maxGrossExposure: z.number().positive(),
  /** Kite's order limits by default: 10/s, 400/min, 5,000/day. */
  ordersPerSecond: z.number().int().positive(),
  ordersPerMinute: z.number().int().positive(),
  ordersPerDay: z.number().int().positive(),
  /** Loss (realized + unrealized - fees) in a day at which trading is restricted... */
  dailyLossLimit: z.number().positive(),
  /**
   * ...to orders that shrink a position (REDUCING, the default: exits pass), to those and a flatten of
   * every position at once (FLATTEN), or to nothing at all (HALTED: exits are blocked too).
   */
  onDailyLoss: z.enum(['REDUCING', 'FLATTEN', 'HALTED']),
  /**
   * Intraday (MIS) leverage: the margin an open position blocks is its notional divided by this. 1 is
   * fully funded; brokers set it per instrument and per day.
   */
  leverage: z.strictObject({ equity: z.number().min(1), future: z.number().min(1) }),
  marketHours: MarketHours,
  /** A price older than this (event time) cannot price an order. */
  staleAfterMs: z.number().int().positive(),
});
export type RiskLimits = z.infer<typeof RiskLimits>;

export type TradingState = 'ACTIVE' | 'REDUCING' | 'HALTED';
