import type { Instrument } from '../market/instruments.ts';
import type { Paise } from '../money.ts';
import { applyFill, FLAT, type Position } from '../portfolio/position.ts';

/** One strategy's holding of one instrument, as risk sees it. */
interface Holding {
  /** Filled plus validated and not yet filled or failed: what the strategy will hold. */
  reserved: number;
  filled: Position;
}

/** One strategy's account: what it started with, what it has made, what it holds. */
class Account {
  readonly holdings = new Map<number, Holding>();
  realizedMinusFees: Paise = 0;
  /** Σ filled quantity x last - cost: the unrealized P&L of what is filled. */
  openValue: Paise = 0;
  /** Σ |reserved| x last, across its instruments. */
  gross: Paise = 0;
  /** Σ |reserved| x last / leverage: the margin its positions block. */
  margin = 0;
  readonly capital: Paise;

  constructor(capital: Paise) {
    this.capital = capital;
  }

  holding(token: number): Holding {
    let h = this.holdings.get(token);
    if (!h) this.holdings.set(token, (h = { reserved: 0, filled: FLAT }));
    return h;
  }
}

/**
 * One namespace's book as risk keeps it: reserved and filled positions per strategy, the last price of
 * each instrument, and every aggregate the checks read, each kept up to date as prices, reservations
 * and fills change, so judging a signal costs the same however many instruments and strategies there
 * are. Exact paise (margin aside, which is only compared against).
 */
export class RiskBook {
  private readonly accounts = new Map<string, Account>();
  private readonly prices = new Map<number, { last: Paise; ts: number }>();
  /** Per instrument: Σ reserved, Σ filled quantity, and the accounts that hold it. */
  private readonly instruments = new Map<number, { reserved: number; filled: number; holders: Set<Account>; marginRate: number }>();
  realizedMinusFees: Paise = 0;
  openValue: Paise = 0;
  /** Σ |instrument reserved| x last. */
  grossNotional: Paise = 0;
  private readonly capital: Paise;
  private readonly instrument: (token: number) => Instrument | undefined;
  private readonly leverage: { readonly equity: number; readonly future: number };

  constructor(capital: Paise, instrument: (token: number) => Instrument | undefined, leverage: { readonly equity: number; readonly future: number }) {
    this.capital = capital;
    this.instrument = instrument;
    this.leverage = leverage;
  }

  account(strategy: string): Account {
    let a = this.accounts.get(strategy);
    if (!a) this.accounts.set(strategy, (a = new Account(this.capital)));
    return a;
  }

  private entry(token: number) {
    let e = this.instruments.get(token);
    if (!e) {
      const kind = this.instrument(token)?.kind;
      this.instruments.set(token, (e = { reserved: 0, filled: 0, holders: new Set(), marginRate: 1 / (kind === 'future' ? this.leverage.future : this.leverage.equity) }));
    }
    return e;
  }

  last(token: number): Paise | undefined {
    return this.prices.get(token)?.last;
  }

  /** A price seen at event time `ts`; an older one than already known is ignored (a late signal's quote). */
  mark(token: number, last: Paise, ts: number): void {
    const p = this.prices.get(token);
    if (p && ts < p.ts) return;
    const delta = last - (p?.last ?? 0);
    this.prices.set(token, { last, ts });
    if (delta === 0) return;
    const e = this.instruments.get(token);
    if (!e) return;
    this.openValue += e.filled * delta;
    this.grossNotional += Math.abs(e.reserved) * delta;
    for (const a of e.holders) {
      const h = a.holdings.get(token)!;
      a.openValue += h.filled.quantity * delta;
      a.gross += Math.abs(h.reserved) * delta;
      a.margin += Math.abs(h.reserved) * delta * e.marginRate;
    }
  }

  reserve(strategy: string, token: number, delta: number): void {
    const a = this.account(strategy);
    const h = a.holding(token);
    const e = this.entry(token);
    const last = this.last(token) ?? 0;
    const grossDelta = (Math.abs(h.reserved + delta) - Math.abs(h.reserved)) * last;
    a.gross += grossDelta;
    a.margin += grossDelta * e.marginRate;
    this.grossNotional += (Math.abs(e.reserved + delta) - Math.abs(e.reserved)) * last;
    h.reserved += delta;
    e.reserved += delta;
    e.holders.add(a);
  }

  /** Applies a fill made at event time `ts`; returns the realized P&L minus fees it added. */
  fill(strategy: string, token: number, quantity: number, price: Paise, fees: Paise, ts: number): Paise {
    // Marked first, so every aggregate values the new position at the same last price.
    this.mark(token, price, ts);
    const a = this.account(strategy);
    const h = a.holding(token);
    const e = this.entry(token);
    e.holders.add(a);
    const before = h.filled;
    const after = applyFill(before, quantity, price);
    h.filled = after;
    const last = this.last(token)!;
    const openDelta = (after.quantity - before.quantity) * last - (after.cost - before.cost);
    const realized = after.realized - before.realized - fees;
    e.filled += after.quantity - before.quantity;
    a.openValue += openDelta;
    this.openValue += openDelta;
    a.realizedMinusFees += realized;
    this.realizedMinusFees += realized;
    return realized;
  }

  /** realized - fees + unrealized, every strategy. */
  net(): Paise {
    return this.realizedMinusFees + this.openValue;
  }

  instrumentReserved(token: number): number {
    return this.instruments.get(token)?.reserved ?? 0;
  }

  strategyReserved(strategy: string, token: number): number {
    return this.accounts.get(strategy)?.holdings.get(token)?.reserved ?? 0;
  }

  /** Gross notional of `strategy` outside `token`; and of everything outside `token`. */
  strategyOther(strategy: string, token: number): Paise {
    const a = this.accounts.get(strategy);
    if (!a) return 0;
    return a.gross - Math.abs(a.holdings.get(token)?.reserved ?? 0) * (this.last(token) ?? 0);
  }

  grossOther(token: number): Paise {
    return this.grossNotional - Math.abs(this.instrumentReserved(token)) * (this.last(token) ?? 0);
  }

  margin(strategy: string): number {
    return this.accounts.get(strategy)?.margin ?? 0;
  }

  marginRate(token: number): number {
    return this.entry(token).marginRate;
  }

  /** What the strategy's account is worth: capital + realized - fees + unrealized. */
  equity(strategy: string): Paise {
    const a = this.accounts.get(strategy);
    return a ? a.capital + a.realizedMinusFees + a.openValue : this.capital;
  }
}
