import type { OrderFilled } from '../contracts/events.ts';
import { toPaise, type Paise } from '../money.ts';
import { Once } from '../once.ts';
import { applyFill, FLAT, unrealized, type Position } from './position.ts';

/** One strategy's account: positions by instrument, cash, fees. Totals are sums of these. */
export interface Account {
  readonly positions: Map<number, Position>;
  cash: Paise;
  fees: Paise;
  fills: number;
}

export interface AccountTotals {
  readonly realized: Paise;
  readonly unrealized: Paise;
  readonly fees: Paise;
  readonly cash: Paise;
  /** realized + unrealized - fees */
  readonly net: Paise;
  readonly fills: number;
}

/**
 * The portfolio's books for one broker namespace: one account per strategy, each starting with the same
 * capital. Each fill is applied once, by its broker order id and fill id, however often it is delivered
 * (the same record twice, or the same fill re-published under a new envelope id). Pure data plus pure
 * updates; the portfolio actor owns one.
 */
export class PortfolioBook {
  /** Accounts that have traded; a configured one that has not is only its id (idle strategies stay small). */
  readonly accounts = new Map<string, Account>();
  private readonly opened = new Set<string>();
  private readonly applied = new Once();
  private readonly initialCash: Paise;

  constructor(initialCash: Paise) {
    this.initialCash = initialCash;
  }

  account(strategyId: string): Account {
    let a = this.accounts.get(strategyId);
    if (!a) this.accounts.set(strategyId, (a = { positions: new Map(), cash: this.initialCash, fees: 0, fills: 0 }));
    return a;
  }

  /** Opens the account of a configured strategy, so the totals count it before it trades. */
  open(strategyId: string): void {
    this.opened.add(strategyId);
  }

  /** Every account: each configured strategy's, and any that traded without being configured here. */
  ids(): string[] {
    const ids = new Set(this.opened);
    for (const id of this.accounts.keys()) ids.add(id);
    return [...ids];
  }

  /** Applies a fill unless it was applied before; true when it changed the book. */
  apply(fill: OrderFilled): boolean {
    if (!this.applied.first(`${fill.order_id}|${fill.fill_id}`)) return false;
    const a = this.account(fill.strategy_id);
    const signed = fill.signal_type === 'BUY' ? fill.quantity : -fill.quantity;
    const price = toPaise(fill.fill_price);
    const fees = toPaise(fill.fees);
    a.positions.set(fill.instrument_token, applyFill(a.positions.get(fill.instrument_token) ?? FLAT, signed, price));
    a.cash += -signed * price - fees;
    a.fees += fees;
    a.fills++;
    return true;
  }

  /** Rebuilds the book from the ledger's fills (a restart): each applied once, as `apply` would. */
  restore(fills: ReadonlyArray<{ strategyId: string; token: number; quantity: number; pricePaise: Paise; feesPaise: Paise; orderId: string; fillId: string }>): void {
    for (const f of fills) {
      if (!this.applied.first(`${f.orderId}|${f.fillId}`)) continue;
      const a = this.account(f.strategyId);
      a.positions.set(f.token, applyFill(a.positions.get(f.token) ?? FLAT, f.quantity, f.pricePaise));
      a.cash += -f.quantity * f.pricePaise - f.feesPaise;
      a.fees += f.feesPaise;
      a.fills++;
    }
  }

  totals(strategyId: string, mark: (token: number) => Paise | undefined): AccountTotals {
    const a = this.account(strategyId);
    let realized = 0;
    let open = 0;
    for (const [token, p] of a.positions) {
      realized += p.realized;
      open += unrealized(p, mark(token));
    }
    return { realized, unrealized: open, fees: a.fees, cash: a.cash, net: realized + open - a.fees, fills: a.fills };
  }
}
