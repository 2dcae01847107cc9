import { z } from 'zod';

/**
 * The values every payload is made of: prices and money as rupees in whole paise, tokens, quantities,
 * times, sides, and the reason codes of refusals and failures.
 */
const wholePaise = (v: number) => Number.isFinite(v) && Math.abs(Math.round(v * 100) - v * 100) < 1e-6;
export const Price = z.number().positive().refine(wholePaise, 'must be a whole number of paise (at most 2 decimals)');
export const Money = z.number().refine(wholePaise, 'must be a whole number of paise (at most 2 decimals)');
export const InstrumentToken = z.number().int().positive();
export const Quantity = z.number().int().positive();
export const Timestamp = z.iso.datetime({ offset: true });
export const SignalType = z.enum(['BUY', 'SELL']);
export const ExecutionMode = z.enum(['paper', 'zerodha']);

/** Why a signal was refused. One code per risk rule; the text says the numbers. */
export const RejectionCode = z.enum([
  'MAX_QUANTITY',
  'MAX_NOTIONAL',
  'MAX_POSITION_INSTRUMENT',
  'MAX_POSITION_STRATEGY',
  'MAX_GROSS_EXPOSURE',
  'RATE_LIMIT_SECOND',
  'RATE_LIMIT_MINUTE',
  'RATE_LIMIT_DAY',
  'TRADING_HALTED',
  'REDUCE_ONLY',
  'MARKET_CLOSED',
  'NO_PRICE',
  'STALE_PRICE',
  'DUPLICATE_SIGNAL',
  /** The signal's trading day is over: a later day has begun, whose state it must not touch. */
  'STALE_DAY',
  /** The instrument cannot be ordered (an index) or is not in the catalogue. */
  'NOT_TRADABLE',
  'CONTRACT_EXPIRED',
  /** The quantity is not a whole number of lots. */
  'LOT_SIZE',
  /** Intraday: past the square-off time only orders that close a position pass. */
  'SQUARE_OFF_TIME',
  /** A square-off or flatten signal for a position this namespace does not hold. */
  'NOTHING_TO_CLOSE',
  'INSUFFICIENT_FUNDS',
  /** A long-only strategy's sell would take it below zero (its entry was refused or is not there). */
  'LONG_ONLY',
]);

export const FailureCode = z.enum(['NO_PRICE', 'BROKER_REJECTED', 'BROKER_CANCELLED', 'STALE_SIGNAL', 'BROKER_UNAVAILABLE', 'SESSION_EXPIRED', 'RATE_LIMITED', 'LIVE_DISABLED', 'NO_FEE_SCHEDULE']);

