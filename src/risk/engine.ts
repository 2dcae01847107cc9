import type { ChainHistory, RiskDay } from '../db/chain-store.ts';
import type { OrderFailed, OrderFilled, RiskCheckName, RiskCommandName, TradingSignal, TradingStateChanged } from '../contracts/events.ts';
import type { Instrument } from '../market/instruments.ts';
import { istDate, istMinutes, minutesOf } from '../market/market-hours.ts';
import { fromWire, type Quote } from '../market/quote.ts';
import { toPaise, type Paise } from '../money.ts';
import { Once } from '../once.ts';
import { RiskBook } from './book.ts';
import { CHECKS, reduces, type Denial, type RiskView } from './checks.ts';
import type { RiskLimits, TradingState } from './limits.ts';
import { RateWindow } from './rate-window.ts';

/** A judgement: the quantity that may be ordered and the checks passed, or the denial. */
export type Judgement = { readonly ok: true; readonly quantity: number; readonly checks: readonly RiskCheckName[] } | { readonly ok: false; readonly denial: Denial };

/** The judgement, and the trading-state changes the signal caused on the way (a new day, a loss). */
export type Verdict = Judgement & { readonly changes: readonly StateChange[] };

export type StateChange = Omit<TradingStateChanged, 'timestamp'>;

export interface RiskContext {
  readonly instrument: (token: number) => Instrument | undefined;
  /** Starting cash of each strategy's account, paise. */
  readonly capital: Paise;
  /** Intraday square-off time (IST 'HH:MM'): after it only closing orders pass. Null: none. */
  readonly squareOffAt: string | null;
}

const MINUTE = 60_000;

/** The state each operator's command asks for. */
const OPERATOR_STATES: Record<RiskCommandName, TradingState> = { HALT: 'HALTED', REDUCE: 'REDUCING', RESUME: 'ACTIVE' };

/**
 * One namespace's risk state and the checks over it, in event time (a signal's own timestamp), so a
 * replay is judged as the day was, whatever order the strategies' signals arrive in: rate limits count
 * the orders around each signal's own time, prices move only forward in event time, and a signal from
 * a day that has ended is refused (STALE_DAY) instead of rolling the day back. Positions are reserved
 * when a signal is validated and released if its order fails; realized P&L and fees come from fills,
 * each applied once however often it is delivered. Synchronous, no I/O.
 */
export class RiskEngine {
  private readonly limits: RiskLimits;
  private readonly context: RiskContext;
  readonly book: RiskBook;
  private readonly orders = new RateWindow();
  private day = '';
  private dayStartNet: Paise = 0;
  /** Signal ids judged (a second signal with one is a DUPLICATE_SIGNAL); fills and failures applied. */
  private readonly judged = new Once();
  private readonly applied = new Once();
  /** Envelope ids of signals handled: a redelivered event is not judged again (its verdict is on its way). */
  readonly delivered = new Once();
  state: TradingState = 'ACTIVE';
  /** Why the state is what it is: an operator's holds across days; a daily-loss state lapses at the next. */
  private cause: RiskDay['stateCause'] = null;
  /** When the last operator's command carried out was given (ms): an older one delivered again is not. */
  private lastCommandAt: number | null = null;

  constructor(limits: RiskLimits, context: RiskContext) {
    this.limits = limits;
    this.context = context;
    this.book = new RiskBook(context.capital, context.instrument, limits.leverage);
  }

  get tradingDay(): string {
    return this.day;
  }

  /** What the database keeps of the day: its date, the state and why, the loss baseline, the last command. */
  get dayState(): RiskDay {
    return { tradingDay: this.day, state: this.state, stateCause: this.cause, dayStartNetPaise: this.dayStartNet, lastCommandAt: this.lastCommandAt };
  }

  /**
   * Rebuilds the engine from what the chain recorded (a restart, or this instance taking the chain
   * over): every fill (positions, realized P&L, fees, last prices), the last day's verdicts (judged
   * signals, the order times the rate limits count, what is reserved and not yet filled or failed) and
   * the day itself. What the log then delivers again is recognised and applied once.
   */
  restore(h: ChainHistory): void {
    const reserved = new Map<string, { strategy: string; token: number; quantity: number }>();
    const add = (strategy: string, token: number, quantity: number) => {
      const k = `${strategy}\u0000${token}`;
      const r = reserved.get(k) ?? { strategy, token, quantity: 0 };
      r.quantity += quantity;
      reserved.set(k, r);
    };
    const last = h.validated.at(-1) ?? h.rejected.at(-1);
    const today = h.day?.tradingDay ?? (last ? istDate(last.ts) : '');
    const filledToday = new Map<string, number>();
    for (const f of h.fills) {
      this.applied.first(`fill|${f.orderId}|${f.fillId}`);
      this.book.fill(f.strategyId, f.token, f.quantity, f.pricePaise, f.feesPaise, f.ts);
      add(f.strategyId, f.token, f.quantity);
      filledToday.set(f.correlationId, (filledToday.get(f.correlationId) ?? 0) + f.quantity);
    }
    for (const v of [...h.validated, ...h.rejected]) {
      this.judged.first(v.signalId ?? v.correlationId);
      this.delivered.first(v.correlationId);
    }
    const failed = new Set<string>();
    for (const f of h.failed) {
      this.applied.first(`failed|${f.correlationId}`);
      failed.add(f.correlationId);
    }
    // Reserved = filled + validated today and neither filled nor failed yet (what is still in flight).
    for (const v of h.validated) {
      this.orders.add(v.ts);
      if (failed.has(v.correlationId)) continue;
      const rest = v.quantity - (filledToday.get(v.correlationId) ?? 0);
      if (rest !== 0) add(v.strategyId, v.token, rest);
    }
    for (const r of reserved.values()) this.book.reserve(r.strategy, r.token, r.quantity);
    if (h.day) {
      this.day = h.day.tradingDay;
      this.state = h.day.state;
      this.cause = h.day.stateCause;
      this.lastCommandAt = h.day.lastCommandAt;
      this.dayStartNet = h.day.dayStartNetPaise;
    } else if (today) {
      this.day = today;
      this.dayStartNet = this.book.net();
    }
  }

  /** Judges a signal; a pass reserves its position change and counts it against the rate limits. */
  evaluate(signal: TradingSignal, bookQuote: Quote | undefined): Verdict {
    const now = Date.parse(signal.timestamp);
    const day = istDate(now);
    const changes: StateChange[] = [];
    this.advanceTo(day, changes);
    const quote = signal.quote ? fromWire(signal.instrument_token, signal.quote) : bookQuote;
    if (quote && day === this.day) this.book.mark(signal.instrument_token, quote.last, quote.exchangeTs);
    // A new price moves unrealized P&L: the loss limit is judged before the signal is.
    const loss = this.reassess();
    if (loss) changes.push(loss);
    const judgement = this.judge(signal, now, day, quote);
    return { ...judgement, changes };
  }

  private judge(signal: TradingSignal, now: number, day: string, quote: Quote | undefined): Judgement {
    const token = signal.instrument_token;
    const strategyQuantity = this.book.strategyReserved(signal.strategy_id, token);
    const closing = signal.kind === 'square_off' || signal.kind === 'flatten';
    const side = signal.signal_type === 'BUY' ? 1 : -1;
    let quantity = signal.quantity;
    if (closing) {
      // A system close orders what this namespace holds, however much the strategy asked for.
      if (!reduces(strategyQuantity, side)) {
        this.judged.first(signal.signal_id);
        return { ok: false, denial: { code: 'NOTHING_TO_CLOSE', reason: `holding ${strategyQuantity} of instrument ${token}: a ${signal.signal_type} closes nothing` } };
      }
      quantity = Math.min(quantity, Math.abs(strategyQuantity));
    }
    const delta = side * quantity;
    const price = quote?.last ?? toPaise(signal.price);
    const marginRate = this.book.marginRate(token);
    const view: RiskView = {
      now,
      day,
      latestDay: this.day,
      tradingState: this.state,
      quote,
      instrument: this.context.instrument(token),
      quantity,
      delta,
      closing,
      pastSquareOff: this.context.squareOffAt !== null && !quote?.simulated && istMinutes(now) >= minutesOf(this.context.squareOffAt),
      instrumentQuantity: this.book.instrumentReserved(token),
      strategyQuantity,
      strategyOtherNotional: this.book.strategyOther(signal.strategy_id, token),
      grossOtherNotional: this.book.grossOther(token),
      price,
      marginUsed: this.book.margin(signal.strategy_id),
      marginPerUnit: price * marginRate,
      equity: this.book.equity(signal.strategy_id),
      // Fewer orders all day than a limit allows in a second (or a minute): no window can be full.
      busiestSecond: this.orders.size < this.limits.ordersPerSecond ? 0 : this.orders.busiest(now, 1000),
      busiestMinute: this.orders.size < this.limits.ordersPerMinute ? 0 : this.orders.busiest(now, MINUTE),
      ordersToday: this.orders.size,
      seenSignal: this.judged.has(signal.signal_id),
    };
    for (const c of CHECKS) {
      const denial = c.check(signal, view, this.limits);
      if (denial) {
        this.judged.first(signal.signal_id);
        return { ok: false, denial };
      }
    }
    this.judged.first(signal.signal_id);
    this.book.reserve(signal.strategy_id, token, delta);
    this.orders.add(now);
    return { ok: true, quantity, checks: CHECKS.map((c) => c.name) };
  }

  /**
   * A fill (applied once per broker order id and fill id): realized P&L and fees move, and the loss limit
   * may change the trading state. A fill of a day already over counts toward that day, not today.
   */
  onFill(fill: OrderFilled): { applied: boolean; changes: readonly StateChange[] } {
    if (!this.applied.first(`fill|${fill.order_id}|${fill.fill_id}`)) return { applied: false, changes: [] };
    const ts = Date.parse(fill.timestamp);
    const day = istDate(ts);
    const changes: StateChange[] = [];
    // Fills read back from the log (a restart) walk the days forward too.
    this.advanceTo(day, changes);
    const realized = this.book.fill(fill.strategy_id, fill.instrument_token, fill.signal_type === 'BUY' ? fill.quantity : -fill.quantity, toPaise(fill.fill_price), toPaise(fill.fees), ts);
    if (day < this.day) this.dayStartNet += realized;
    const loss = this.reassess();
    if (loss) changes.push(loss);
    return { applied: true, changes };
  }

  /** A failed order never happened: release what its validation reserved (once per signal chain). */
  onFailed(failed: OrderFailed, chain: string): boolean {
    if (!this.applied.first(`failed|${chain}`)) return false;
    this.book.reserve(failed.strategy_id, failed.instrument_token, failed.signal_type === 'BUY' ? -failed.quantity : failed.quantity);
    return true;
  }

  /** Today's loss so far (positive = loss), marked at the last prices seen. */
  lossToday(): Paise {
    return this.dayStartNet - this.book.net();
  }

  /**
   * An operator's HALT / REDUCE / RESUME, given at `at`. It holds until an operator changes it, across
   * days (a kill switch that lifted itself the next morning would not be one); it does not move the
   * engine's day (a replay of a past day goes on being judged in its own time). A command given no
   * later than the last one carried out (delivered again after a restart) changes nothing, nor does one
   * asking for the state already in force.
   */
  command(command: RiskCommandName, at: number): readonly StateChange[] {
    if (this.lastCommandAt !== null && at <= this.lastCommandAt) return [];
    this.lastCommandAt = at;
    const to = OPERATOR_STATES[command];
    if (to === this.state) {
      // The state in force, asked for by an operator, is theirs from now on: it no longer lapses by itself.
      if (to !== 'ACTIVE') this.cause = 'OPERATOR';
      return [];
    }
    return [this.change(to, 'OPERATOR', false, istDate(at))];
  }

  private reassess(): StateChange | undefined {
    const loss = this.lossToday();
    if (this.state !== 'ACTIVE' || loss < toPaise(this.limits.dailyLossLimit)) return undefined;
    const to = this.limits.onDailyLoss === 'HALTED' ? 'HALTED' : 'REDUCING';
    return this.change(to, 'DAILY_LOSS', this.limits.onDailyLoss === 'FLATTEN');
  }

  /**
   * Moves to `day` if it is later (never to an earlier one): counters, the loss baseline and the state
   * start afresh, and a state that lapses is announced.
   */
  private advanceTo(day: string, changes: StateChange[]): void {
    if (day <= this.day) return;
    this.day = day;
    this.orders.clear();
    this.dayStartNet = this.book.net();
    // A new day lifts the loss limit's state; an operator's holds until an operator lifts it.
    if (this.state !== 'ACTIVE' && this.cause !== 'OPERATOR') changes.push(this.change('ACTIVE', 'NEW_DAY', false));
  }

  private change(to: TradingState, cause: StateChange['cause'], flatten: boolean, when?: string): StateChange {
    const previous = this.state;
    this.state = to;
    this.cause = to === 'ACTIVE' ? null : cause;
    return { state: to, previous, cause, flatten, trading_day: this.day || when || '1970-01-01', loss: this.lossToday() / 100, limit: this.limits.dailyLossLimit };
  }
}
