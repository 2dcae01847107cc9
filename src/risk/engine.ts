import type { OrderFailed, OrderFilled, RiskCheckName, TradingSignal } from '../contracts/events.ts';
import { istDate } from '../market/market-hours.ts';
import { fromWire, type Quote } from '../market/quote.ts';
import { toPaise, type Paise } from '../money.ts';
import { applyFill, FLAT, type Position } from '../portfolio/position.ts';
import { CHECKS, type Denial, type RiskView } from './checks.ts';
import type { RiskLimits, TradingState } from './limits.ts';

/** The judgement, and the trading-state change the signal's price caused on the way (if any). */
export type Verdict = ({ readonly ok: true; readonly checks: readonly RiskCheckName[] } | { readonly ok: false; readonly denial: Denial }) & { readonly change?: StateChange };

export interface StateChange {
  readonly from: TradingState;
  readonly to: TradingState;
  readonly lossPaise: Paise;
}

/**
 * One namespace's risk state and the checks over it, in event time (a signal's own timestamp), so a
 * replay is judged exactly as the live day was. Positions are reserved when a signal is validated and
 * released if its order fails; realized P&L and fees come from fills. Synchronous, no I/O.
 */
export class RiskEngine {
  private readonly limits: RiskLimits;
  private readonly reserved = new Map<string, Map<number, number>>();
  /** Reserved net quantity per instrument, across strategies (kept with `reserved`). */
  private readonly instrumentQty = new Map<number, number>();
  private readonly lastPrice = new Map<number, Paise>();
  /** Filled positions per strategy and instrument, and their totals, kept incrementally. */
  private readonly filled = new Map<string, Position>();
  private readonly filledByInstrument = new Map<number, { quantity: number; cost: Paise }>();
  private realizedMinusFees: Paise = 0;
  private orderTimes: number[] = [];
  private day = '';
  private ordersToday = 0;
  private seen = new Set<string>();
  private dayStartNet = 0;
  state: TradingState = 'ACTIVE';

  constructor(limits: RiskLimits) {
    this.limits = limits;
  }

  /** Judges a signal; a pass reserves its position change and counts it against the rate limits. */
  evaluate(signal: TradingSignal, bookQuote: Quote | undefined): Verdict {
    const now = Date.parse(signal.timestamp);
    this.rollDay(now);
    const quote = signal.quote ? fromWire(signal.instrument_token, signal.quote) : bookQuote;
    if (quote) this.lastPrice.set(signal.instrument_token, quote.last);
    // A new price moves unrealized P&L: the loss limit is judged before the signal is.
    const change = this.reassess();
    const view = this.view(signal, now, quote);
    for (const c of CHECKS) {
      const denial = c.check(signal, view, this.limits);
      if (denial) {
        if (denial.code !== 'DUPLICATE_SIGNAL') this.seen.add(signal.signal_id);
        return { ok: false, denial, change };
      }
    }
    this.seen.add(signal.signal_id);
    this.reserve(signal.strategy_id, signal.instrument_token, signal.signal_type === 'BUY' ? signal.quantity : -signal.quantity);
    this.orderTimes.push(now);
    this.ordersToday++;
    return { ok: true, checks: CHECKS.map((c) => c.name), change };
  }

  /** A fill: realized P&L and fees move; the loss limit may change the trading state. */
  onFill(fill: OrderFilled): StateChange | undefined {
    const key = `${fill.strategy_id}\u0000${fill.instrument_token}`;
    const before = this.filled.get(key) ?? FLAT;
    const price = toPaise(fill.fill_price);
    const after = applyFill(before, fill.signal_type === 'BUY' ? fill.quantity : -fill.quantity, price);
    this.filled.set(key, after);
    const agg = this.filledByInstrument.get(fill.instrument_token) ?? { quantity: 0, cost: 0 };
    this.filledByInstrument.set(fill.instrument_token, { quantity: agg.quantity + after.quantity - before.quantity, cost: agg.cost + after.cost - before.cost });
    this.realizedMinusFees += after.realized - before.realized - toPaise(fill.fees);
    this.lastPrice.set(fill.instrument_token, price);
    return this.reassess();
  }

  /** A failed order never happened: release what its validation reserved. */
  onFailed(failed: OrderFailed): void {
    this.reserve(failed.strategy_id, failed.instrument_token, failed.signal_type === 'BUY' ? -failed.quantity : failed.quantity);
  }

  /** Today's loss so far (positive = loss), marked at the last prices seen. */
  lossToday(): Paise {
    return this.dayStartNet - this.net();
  }

  /** Realized - fees + unrealized, summed over strategies: per instrument, quantity x last - cost. */
  private net(): Paise {
    let net = this.realizedMinusFees;
    for (const [token, p] of this.filledByInstrument) if (p.quantity !== 0 || p.cost !== 0) net += p.quantity * (this.lastPrice.get(token) ?? 0) - p.cost;
    return net;
  }

  private reassess(): StateChange | undefined {
    const loss = this.lossToday();
    if (this.state === 'ACTIVE' && loss >= toPaise(this.limits.dailyLossLimit)) {
      const from = this.state;
      this.state = this.limits.onDailyLoss;
      return { from, to: this.state, lossPaise: loss };
    }
    return undefined;
  }

  private rollDay(now: number): void {
    const day = istDate(now);
    if (day === this.day) return;
    this.day = day;
    this.ordersToday = 0;
    this.seen = new Set();
    this.dayStartNet = this.net();
    this.state = 'ACTIVE';
  }

  private reserve(strategy: string, token: number, delta: number): void {
    let m = this.reserved.get(strategy);
    if (!m) this.reserved.set(strategy, (m = new Map()));
    m.set(token, (m.get(token) ?? 0) + delta);
    this.instrumentQty.set(token, (this.instrumentQty.get(token) ?? 0) + delta);
  }

  private view(signal: TradingSignal, now: number, quote: Quote | undefined): RiskView {
    const token = signal.instrument_token;
    let strategyOtherNotional = 0;
    for (const [t, q] of this.reserved.get(signal.strategy_id) ?? []) if (t !== token) strategyOtherNotional += Math.abs(q) * (this.lastPrice.get(t) ?? 0);
    let grossOtherNotional = 0;
    for (const [t, q] of this.instrumentQty) if (t !== token && q !== 0) grossOtherNotional += Math.abs(q) * (this.lastPrice.get(t) ?? 0);
    const instrumentQuantity = this.instrumentQty.get(token) ?? 0;
    while (this.orderTimes.length > 0 && this.orderTimes[0]! <= now - 60_000) this.orderTimes.shift();
    let inSecond = 0;
    for (let i = this.orderTimes.length - 1; i >= 0 && this.orderTimes[i]! > now - 1000; i--) inSecond++;
    return {
      now,
      tradingState: this.state,
      quote,
      instrumentQuantity,
      strategyQuantity: this.reserved.get(signal.strategy_id)?.get(token) ?? 0,
      strategyOtherNotional,
      grossOtherNotional,
      ordersInLastSecond: inSecond,
      ordersInLastMinute: this.orderTimes.length,
      ordersToday: this.ordersToday,
      seenSignal: this.seen.has(signal.signal_id),
    };
  }
}
