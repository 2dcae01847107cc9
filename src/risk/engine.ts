import type { OrderFailed, OrderFilled, RiskCheckName, TradingSignal } from '../contracts/events.ts';
import { istDate } from '../market/market-hours.ts';
import { fromWire, type Quote } from '../market/quote.ts';
import { toPaise, type Paise } from '../money.ts';
import { PortfolioBook } from '../portfolio/book.ts';
import { CHECKS, type Denial, type RiskView } from './checks.ts';
import type { RiskLimits, TradingState } from './limits.ts';

export type Verdict = { readonly ok: true; readonly checks: readonly RiskCheckName[] } | { readonly ok: false; readonly denial: Denial };

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
  private readonly lastPrice = new Map<number, Paise>();
  private readonly fills = new PortfolioBook(0);
  private orderTimes: number[] = [];
  private day = '';
  private ordersToday = 0;
  private seen = new Set<string>();
  private dayStartNet = 0;
  state: TradingState = 'ACTIVE';
  /** The state change the last evaluate() caused, if any (the actor logs it). */
  lastChange: StateChange | undefined;

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
    this.lastChange = this.reassess();
    const view = this.view(signal, now, quote);
    for (const c of CHECKS) {
      const denial = c.check(signal, view, this.limits);
      if (denial) {
        if (denial.code !== 'DUPLICATE_SIGNAL') this.seen.add(signal.signal_id);
        return { ok: false, denial };
      }
    }
    this.seen.add(signal.signal_id);
    this.reserve(signal.strategy_id, signal.instrument_token, signal.signal_type === 'BUY' ? signal.quantity : -signal.quantity);
    this.orderTimes.push(now);
    this.ordersToday++;
    return { ok: true, checks: CHECKS.map((c) => c.name) };
  }

  /** A fill: realized P&L and fees move; the loss limit may change the trading state. */
  onFill(fill: OrderFilled): StateChange | undefined {
    this.fills.apply(fill);
    this.lastPrice.set(fill.instrument_token, toPaise(fill.fill_price));
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

  private net(): Paise {
    let net = 0;
    for (const id of this.fills.accounts.keys()) net += this.fills.totals(id, (t) => this.lastPrice.get(t)).net;
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
  }

  private view(signal: TradingSignal, now: number, quote: Quote | undefined): RiskView {
    const token = signal.instrument_token;
    let instrumentQuantity = 0;
    let strategyOtherNotional = 0;
    const perInstrument = new Map<number, number>();
    for (const [strategy, positions] of this.reserved) {
      for (const [t, q] of positions) {
        perInstrument.set(t, (perInstrument.get(t) ?? 0) + q);
        if (strategy === signal.strategy_id && t !== token) strategyOtherNotional += Math.abs(q) * (this.lastPrice.get(t) ?? 0);
      }
    }
    let grossOtherNotional = 0;
    for (const [t, q] of perInstrument) {
      if (t === token) instrumentQuantity = q;
      else grossOtherNotional += Math.abs(q) * (this.lastPrice.get(t) ?? 0);
    }
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
