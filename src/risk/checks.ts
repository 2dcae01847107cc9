import type { RejectionCode, RiskCheckName, TradingSignal } from '../contracts/events.ts';
import { isMarketOpen } from '../market/market-hours.ts';
import { isStale, type Quote } from '../market/quote.ts';
import { formatRupees, toPaise, type Paise } from '../money.ts';
import type { RiskLimits, TradingState } from './limits.ts';

/** What the checks read: the engine's view of the book at the time of the signal. */
export interface RiskView {
  readonly now: number;
  readonly tradingState: TradingState;
  readonly quote: Quote | undefined;
  readonly instrumentQuantity: number;
  readonly strategyQuantity: number;
  /** Gross notional this strategy holds across its instruments, other than this one. */
  readonly strategyOtherNotional: Paise;
  /** Gross notional across all positions other than this instrument. */
  readonly grossOtherNotional: Paise;
  readonly ordersInLastSecond: number;
  readonly ordersInLastMinute: number;
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

const signed = (s: TradingSignal) => (s.signal_type === 'BUY' ? s.quantity : -s.quantity);
const price = (s: TradingSignal, v: RiskView) => v.quote?.last ?? toPaise(s.price);

/** Whether an order moves a position toward zero without crossing it. */
export function reduces(position: number, delta: number): boolean {
  return position !== 0 && Math.sign(delta) === -Math.sign(position) && Math.abs(delta) <= Math.abs(position);
}

export const CHECKS: readonly RiskCheck[] = [
  {
    name: 'duplicate_signal',
    check: (s, v) => (v.seenSignal ? { code: 'DUPLICATE_SIGNAL', reason: `signal ${s.signal_id} was already seen` } : undefined),
  },
  {
    name: 'daily_loss',
    check: (s, v) => {
      if (v.tradingState === 'HALTED') return { code: 'TRADING_HALTED', reason: 'daily loss limit reached: trading is halted' };
      if (v.tradingState === 'REDUCING' && !reduces(v.strategyQuantity, signed(s))) {
        return { code: 'REDUCE_ONLY', reason: `daily loss limit reached: only orders that reduce a position pass (holding ${v.strategyQuantity})` };
      }
      return undefined;
    },
  },
  {
    name: 'market_hours',
    check: (_s, v, l) =>
      isMarketOpen(l.marketHours, v.now) ? undefined : { code: 'MARKET_CLOSED', reason: `market closed at ${new Date(v.now).toISOString()} (open ${l.marketHours.open}-${l.marketHours.close} IST)` },
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
    check: (s, _v, l) => (s.quantity > l.maxQuantityPerOrder ? { code: 'MAX_QUANTITY', reason: `quantity ${s.quantity} exceeds ${l.maxQuantityPerOrder}` } : undefined),
  },
  {
    name: 'max_notional',
    check: (s, v, l) => {
      const notional = price(s, v) * s.quantity;
      const max = toPaise(l.maxNotionalPerOrder);
      return notional > max ? { code: 'MAX_NOTIONAL', reason: `notional ${formatRupees(notional)} exceeds ${formatRupees(max)}` } : undefined;
    },
  },
  {
    name: 'max_position_instrument',
    check: (s, v, l) => {
      const after = v.instrumentQuantity + signed(s);
      return Math.abs(after) > l.maxPositionPerInstrument && Math.abs(after) > Math.abs(v.instrumentQuantity)
        ? { code: 'MAX_POSITION_INSTRUMENT', reason: `instrument ${s.instrument_token} position would be ${after} (limit ${l.maxPositionPerInstrument})` }
        : undefined;
    },
  },
  {
    name: 'max_position_strategy',
    check: (s, v, l) => {
      const after = Math.abs(v.strategyQuantity + signed(s));
      if (after <= Math.abs(v.strategyQuantity)) return undefined;
      const gross = v.strategyOtherNotional + after * price(s, v);
      const max = toPaise(l.maxPositionPerStrategy);
      return gross > max ? { code: 'MAX_POSITION_STRATEGY', reason: `strategy ${s.strategy_id} would hold ${formatRupees(gross)} (limit ${formatRupees(max)})` } : undefined;
    },
  },
  {
    name: 'max_gross_exposure',
    check: (s, v, l) => {
      const after = Math.abs(v.instrumentQuantity + signed(s));
      if (after <= Math.abs(v.instrumentQuantity)) return undefined;
      const gross = v.grossOtherNotional + after * price(s, v);
      const max = toPaise(l.maxGrossExposure);
      return gross > max ? { code: 'MAX_GROSS_EXPOSURE', reason: `gross exposure would be ${formatRupees(gross)} (limit ${formatRupees(max)})` } : undefined;
    },
  },
  {
    name: 'rate_limit',
    check: (_s, v, l) => {
      if (v.ordersInLastSecond >= l.ordersPerSecond) return { code: 'RATE_LIMIT_SECOND', reason: `${v.ordersInLastSecond} orders in the last second (limit ${l.ordersPerSecond})` };
      if (v.ordersInLastMinute >= l.ordersPerMinute) return { code: 'RATE_LIMIT_MINUTE', reason: `${v.ordersInLastMinute} orders in the last minute (limit ${l.ordersPerMinute})` };
      if (v.ordersToday >= l.ordersPerDay) return { code: 'RATE_LIMIT_DAY', reason: `${v.ordersToday} orders today (limit ${l.ordersPerDay})` };
      return undefined;
    },
  },
];
