import { z } from 'zod';
import { FailureCode, InstrumentToken, Money, Price, Quantity, RejectionCode, SignalType, Timestamp } from './values.ts';

/**
 * One signal traded both ways, paper against live: the payload of a `chain_divergence` event. Money is
 * rupees with at most two decimals, as in every payload; figures per share are rounded to the paisa,
 * costs are exact. Slippage is signed so that positive is worse for the trader (a BUY filled above the
 * signal's price, a SELL below), and every difference is live minus paper.
 */
export const SideOutcome = z.enum(['filled', 'partially_filled', 'rejected', 'failed', 'open']);

/** 'outcome': one side filled, the other was refused; 'quantity': both filled, not as much; 'open': a side is still working. */
export const Mismatch = z.enum(['none', 'outcome', 'quantity', 'open']);

const Ms = z.number().int();

export const DivergenceSide = z.object({
  outcome: SideOutcome,
  /** What risk let through (0: rejected). */
  validated_quantity: z.number().int().nonnegative(),
  filled_quantity: z.number().int().nonnegative(),
  fills: z.number().int().nonnegative(),
  /** Why risk rejected the signal or the broker failed the order; null otherwise. */
  reason_code: z.union([RejectionCode, FailureCode]).nullable(),
  order_id: z.string().min(1).nullable(),
  /** The volume-weighted average fill price; null without a fill. */
  average_price: Price.nullable(),
  /** Per share, against the signal's price. */
  slippage: Money.nullable(),
  slippage_bps: z.number().nullable(),
  /** Σ (fill price - signal price) × fill quantity, signed as slippage: what slippage cost this side. */
  slippage_cost: Money,
  fees: Money,
  /** From the risk decision (the verdict event's time) to the first and the last fill. */
  first_fill_ms: Ms.nullable(),
  last_fill_ms: Ms.nullable(),
});

export const ChainDivergence = z.object({
  signal_id: z.uuid(),
  strategy_id: z.string().min(1),
  instrument_token: InstrumentToken,
  side: SignalType,
  /** What the strategy asked for. */
  quantity: Quantity,
  /** What slippage is measured against. */
  signal_price: Price,
  paper: DivergenceSide,
  live: DivergenceSide,
  differences: z.object({
    filled_quantity: z.number().int(),
    fees: Money,
    /** The rest are null unless both sides filled. Average fill price, live - paper, as prices. */
    average_price: Money.nullable(),
    /** Live slippage - paper slippage, bps of the signal's price: positive, live filled worse. */
    average_price_bps: z.number().nullable(),
    slippage_cost: Money.nullable(),
  }),
  mismatch: Mismatch,
  /** The signal's time: the market time the strategy decided at. */
  timestamp: Timestamp,
});

export type SideOutcome = z.infer<typeof SideOutcome>;
export type Mismatch = z.infer<typeof Mismatch>;
export type DivergenceSide = z.infer<typeof DivergenceSide>;
export type ChainDivergence = z.infer<typeof ChainDivergence>;
