import type { ReconciliationFinding } from '../contracts/events.ts';
import { isOurTag } from '../execution/order-tag.ts';
import type { KiteOrder, KitePosition, KiteTrade } from './kite-api.ts';

/** The day's zerodha ledger as reconciliation reads it. */
export interface LedgerDay {
  /** Orders placed (their order_placed rows): Kite order id and tag. */
  readonly placed: ReadonlyArray<{ readonly orderId: string; readonly tag: string | null }>;
  /** Fills recorded: Kite order id, trade id, signed quantity, instrument. */
  readonly fills: ReadonlyArray<{ readonly orderId: string; readonly fillId: string; readonly token: number; readonly quantity: number }>;
  /** Tags of signals whose order the ledger says failed. */
  readonly failedTags: ReadonlySet<string>;
  /** Tags of validated signals the ledger has no execution for: they are executed again. */
  readonly awaitingTags: ReadonlySet<string>;
}

export interface KiteDay {
  readonly orders: readonly KiteOrder[];
  readonly trades: readonly KiteTrade[];
  readonly positions: readonly KitePosition[];
}

const signed = (side: 'BUY' | 'SELL', q: number) => (side === 'BUY' ? q : -q);

/**
 * Kite's day against the ledger's: pure. Orders without our tag are reported; tagged orders the ledger
 * never recorded are adopted by their signal's execution; trades the ledger lacks are counted (the order
 * tracker applies them); and each instrument's net position at Kite is compared with the ledger's plus
 * those trades plus the outside orders' trades, so a difference left over is one nobody explains.
 */
export function reconcile(kite: KiteDay, ledger: LedgerDay): ReconciliationFinding[] {
  const findings: ReconciliationFinding[] = [];
  const recorded = new Set(ledger.placed.map((p) => p.orderId));
  const seenFills = new Set(ledger.fills.map((f) => `${f.orderId}|${f.fillId}`));
  const expected = new Map<number, number>();
  const add = (token: number, q: number) => expected.set(token, (expected.get(token) ?? 0) + q);
  for (const f of ledger.fills) add(f.token, f.quantity);
  const tradesOf = new Map<string, KiteTrade[]>();
  for (const t of kite.trades) (tradesOf.get(t.order_id) ?? tradesOf.set(t.order_id, []).get(t.order_id)!).push(t);
  for (const o of kite.orders) {
    const trades = tradesOf.get(o.order_id) ?? [];
    if (!isOurTag(o.tag)) {
      findings.push({ kind: 'outside_order', order_id: o.order_id, tradingsymbol: o.tradingsymbol, transaction_type: o.transaction_type, quantity: o.quantity, filled: o.filled_quantity, status: o.status });
      for (const t of trades) add(t.instrument_token, signed(t.transaction_type, t.quantity));
      continue;
    }
    if (!recorded.has(o.order_id)) {
      if (ledger.failedTags.has(o.tag)) findings.push({ kind: 'failed_but_placed', order_id: o.order_id, tag: o.tag });
      else findings.push({ kind: 'unrecorded_order', order_id: o.order_id, tag: o.tag, awaiting_execution: ledger.awaitingTags.has(o.tag) });
      // Adopted orders' fills are applied once their placement is recorded: expected at Kite already.
      for (const t of trades) add(t.instrument_token, signed(t.transaction_type, t.quantity));
      continue;
    }
    const missing = trades.filter((t) => !seenFills.has(`${t.order_id}|${t.trade_id}`));
    if (missing.length > 0) {
      findings.push({ kind: 'missing_fills', order_id: o.order_id, trades: missing.length, quantity: missing.reduce((n, t) => n + t.quantity, 0) });
      for (const t of missing) add(t.instrument_token, signed(t.transaction_type, t.quantity));
    }
  }
  const atKite = new Map<number, KitePosition>();
  for (const p of kite.positions) if (p.product === 'MIS' || p.product === 'NRML') atKite.set(p.instrument_token, p);
  for (const token of new Set([...atKite.keys(), ...expected.keys()])) {
    const k = atKite.get(token)?.quantity ?? 0;
    const l = expected.get(token) ?? 0;
    if (k !== l) findings.push({ kind: 'position_mismatch', instrument_token: token, tradingsymbol: atKite.get(token)?.tradingsymbol ?? String(token), kite: k, ledger: l });
  }
  return findings;
}
