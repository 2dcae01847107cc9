import type { RejectionCode, RiskCheckName, TradingSignal } from '../contracts/events.ts';
import type { Instrument } from '../market/instruments.ts';
import { isMarketOpen } from '../market/market-hours.ts';
import { isStale, type Quote } from '../market/quote.ts';
import { formatRupees, toPaise, type Paise } from '../money.ts';
import type { RiskLimits, TradingState } from './limits.ts';

/** What the checks read: the engine's view of the book at the time of the signal. Built in O(1). */
export interface RiskView {
  readonly now: number;
  /** The signal's IST trading day, and the latest one the engine has seen. */
  readonly day: string;
  readonly latestDay: string;
  readonly tradingState: TradingState;
  readonly quote: Quote | undefined;
  readonly instrument: Instrument | undefined;
  /** The quantity that would be ordered: the signal's, or for a system close what this namespace holds. */
  readonly quantity: number;
  /** +quantity to buy, -quantity to sell. */
  readonly delta: number;
  /** A system close (square-off, flatten): bypasses the rules that keep positions from opening. */
  readonly closing: boolean;
  /** Past the intraday square-off time on a real (not simulated) market. */
  readonly pastSquareOff: boolean;
  /** Net reserved quantity (filled + in flight) of this instrument, all strategies; and this strategy's. */
  readonly instrumentQuantity: number;
  readonly strategyQuantity: number;
  /** Gross notional this strategy holds across its other instruments; and everything across other instruments. */
  readonly strategyOtherNotional: Paise;
  readonly grossOtherNotional: Paise;
  /** The price notional is judged at: the quote's last price, else the signal's. */
  readonly price: Paise;
  /** Margin the strategy's open positions block, what one more unit of this instrument blocks, and its equity. */
  readonly marginUsed: number;
  readonly marginPerUnit: number;
  readonly equity: Paise;
  /** The most orders already in any second / minute around the signal's own time, and today. */
  readonly busiestSecond: number;
  readonly busiestMinute: number;
  readonly ordersToday: number;
  readonly seenSignal: boolean;
}

export interface Denial {
  readonly code: RejectionCode;
  readonly reason: string;
}

/** A risk check: pure, returns a denial with its reason code or nothing. */
export interface RiskCheck {
  readonly name: RiskCheckName;
  check(signal: TradingSignal, view: RiskView, limits: RiskLimits): Denial | undefined;
}

/** Whether an order moves a position toward zero without crossing it. */
export function reduces(position: number, delta: number): boolean {
  return position !== 0 && Math.sign(delta) === -Math.sign(position) && Math.abs(delta) <= Math.abs(position);
}

const grows = (position: number, delta: number) => Math.abs(position + delta) > Math.abs(position);

/** Run in this order: the first denial is the verdict. */
export const CHECKS: readonly RiskCheck[] = [
  {
    name: 'duplicate_signal',
    check: (s, v) => (v.seenSignal ? { code: 'DUPLICATE_SIGNAL', reason: `signal ${s.signal_id} was already judged` } : undefined),
  },
  {
    name: 'stale_day',
    check: (_s, v) => (v.day < v.latestDay ? { code: 'STALE_DAY', reason: `the signal is from ${v.day}; trading day ${v.latestDay} has begun` } : undefined),
  },
  {
    name: 'tradable',
    check: (s, v) => {
      const i = v.instrument;
      if (!i) return { code: 'NOT_TRADABLE', reason: `instrument ${s.instrument_token} is not in the instrument catalogue` };
      if (!i.tradable) return { code: 'NOT_TRADABLE', reason: `${i.symbol} is ${i.kind === 'index' ? 'an index' : `an ${i.kind}`}: no order can be placed for it` };
      if (i.expiry !== undefined && v.day > i.expiry) return { code: 'CONTRACT_EXPIRED', reason: `${i.symbol} expired on ${i.expiry}` };
      return undefined;
    },
  },
  {
    name: 'lot_size',
    check: (_s, v) =>
      v.instrument && v.quantity % v.instrument.lotSize !== 0 ? { code: 'LOT_SIZE', reason: `quantity ${v.quantity} is not a whole number of lots of ${v.instrument.lotSize}` } : undefined,
  },
  {
    name: 'daily_loss',
    check: (_s, v) => {
      if (v.closing) return undefined;
      if (v.tradingState === 'HALTED') return { code: 'TRADING_HALTED', reason: 'trading is halted' };
      if (v.tradingState === 'REDUCING' && !reduces(v.strategyQuantity, v.delta)) {
        return { code: 'REDUCE_ONLY', reason: `daily loss limit reached: only orders that reduce a position pass (holding ${v.strategyQuantity})` };
      }
      return undefined;
    },
  },
  {
    name: 'market_hours',
    check: (_s, v, l) =>
      v.quote?.simulated || isMarketOpen(l.marketHours, v.now) ? undefined : { code: 'MARKET_CLOSED', reason: `market closed at ${new Date(v.now).toISOString()} (open ${l.marketHours.open}-${l.marketHours.close} IST)` },
  },
  {
    name: 'long_only',
    check: (s, v) =>
      s.long_only && v.strategyQuantity + v.delta < 0
        ? { code: 'LONG_ONLY', reason: `strategy ${s.strategy_id} is long-only: selling ${v.quantity} while holding ${v.strategyQuantity} would leave it short` }
        : undefined,
  },
  {
    name: 'square_off',
    check: (_s, v) =>
      v.pastSquareOff && !v.closing && !reduces(v.strategyQuantity, v.delta) ? { code: 'SQUARE_OFF_TIME', reason: 'past the intraday square-off time only orders that close a position pass' } : undefined,
  },
  {
    name: 'stale_price',
    check: (s, v, l) => {
      if (!v.quote) return { code: 'NO_PRICE', reason: `no known price for instrument ${s.instrument_token}` };
      if (isStale(v.quote, v.now, l.staleAfterMs)) return { code: 'STALE_PRICE', reason: `price is ${v.now - v.quote.exchangeTs} ms old (limit ${l.staleAfterMs} ms)` };
      return undefined;
    },
  },
  {
    name: 'max_quantity',
    check: (_s, v, l) => (v.quantity > l.maxQuantityPerOrder ? { code: 'MAX_QUANTITY', reason: `quantity ${v.quantity} exceeds ${l.maxQuantityPerOrder}` } : undefined),
  },
  {
    name: 'max_notional',
    check: (_s, v, l) => {
      const notional = v.price * v.quantity;
      const max = toPaise(l.maxNotionalPerOrder);
      return notional > max ? { code: 'MAX_NOTIONAL', reason: `notional ${formatRupees(notional)} exceeds ${formatRupees(max)}` } : undefined;
    },
  },
  {
    name: 'max_position_instrument',
    check: (s, v, l) => {
      const after = v.instrumentQuantity + v.delta;
      return Math.abs(after) > l.maxPositionPerInstrument && grows(v.instrumentQuantity, v.delta)
        ? { code: 'MAX_POSITION_INSTRUMENT', reason: `instrument ${s.instrument_token} position would be ${after} (limit ${l.maxPositionPerInstrument})` }
        : undefined;
    },
  },
  {
    name: 'max_position_strategy',
    check: (s, v, l) => {
      if (!grows(v.strategyQuantity, v.delta)) return undefined;
      const gross = v.strategyOtherNotional + Math.abs(v.strategyQuantity + v.delta) * v.price;
      const max = toPaise(l.maxPositionPerStrategy);
      return gross > max ? { code: 'MAX_POSITION_STRATEGY', reason: `strategy ${s.strategy_id} would hold ${formatRupees(gross)} (limit ${formatRupees(max)})` } : undefined;
    },
  },
  {
    name: 'max_gross_exposure',
    check: (_s, v, l) => {
      if (!grows(v.instrumentQuantity, v.delta)) return undefined;
      const gross = v.grossOtherNotional + Math.abs(v.instrumentQuantity + v.delta) * v.price;
      const max = toPaise(l.maxGrossExposure);
      return gross > max ? { code: 'MAX_GROSS_EXPOSURE', reason: `gross exposure would be ${formatRupees(gross)} (limit ${formatRupees(max)})` } : undefined;
    },
  },
  {
    name: 'buying_power',
    check: (s, v) => {
      if (!grows(v.strategyQuantity, v.delta)) return undefined;
      const added = (Math.abs(v.strategyQuantity + v.delta) - Math.abs(v.strategyQuantity)) * v.marginPerUnit;
      const needed = Math.ceil(v.marginUsed + added);
      return needed > v.equity
        ? { code: 'INSUFFICIENT_FUNDS', reason: `strategy ${s.strategy_id} would need ${formatRupees(needed)} of margin; its account is worth ${formatRupees(v.equity)}` }
        : undefined;
    },
  },
  {
    name: 'rate_limit',
    check: (_s, v, l) => {
      if (v.busiestSecond >= l.ordersPerSecond) return { code: 'RATE_LIMIT_SECOND', reason: `${v.busiestSecond} orders already in a second around this one (limit ${l.ordersPerSecond})` };
      if (v.busiestMinute >= l.ordersPerMinute) return { code: 'RATE_LIMIT_MINUTE', reason: `${v.busiestMinute} orders already in a minute around this one (limit ${l.ordersPerMinute})` };
      if (v.ordersToday >= l.ordersPerDay) return { code: 'RATE_LIMIT_DAY', reason: `${v.ordersToday} orders today (limit ${l.ordersPerDay})` };
      return undefined;
    },
  },
];
