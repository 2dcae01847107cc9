import { createEvent, type AnyEnvelope, type Envelope } from '../src/contracts/envelope.ts';
import type { ChainStore } from '../src/db/chain-store.ts';
import type { PnlSnapshot } from '../src/contracts/events.ts';
import { topicsFor, type BrokerNamespace } from '../src/contracts/topics.ts';
import type { PriceBook } from '../src/market/price-book.ts';
import { toRupees } from '../src/money.ts';
import type { PortfolioBook } from '../src/portfolio/book.ts';
import { averagePrice, unrealized } from '../src/portfolio/position.ts';
import type { Behaviour, Output } from '../src/runtime/actor-ref.ts';

export interface SnapshotTick {
  readonly kind: 'snapshot';
}

export type PortfolioMessage = AnyEnvelope | SnapshotTick;


/** The snapshot of one strategy's account (or of all of them, `strategyId` null), marked at `mark`. */
export function snapshotOf(book: PortfolioBook, strategyId: string | null, mark: (t: number) => number | undefined, timestamp: string): PnlSnapshot {
  const ids = strategyId === null ? book.ids() : [strategyId];
  let realized = 0;
  let open = 0;
  let fees = 0;
  let cash = 0;
  const positions: PnlSnapshot['positions'] = [];
  for (const id of ids) {
    const a = book.account(id);
    fees += a.fees;
    cash += a.cash;
    for (const [token, p] of a.positions) {
      const last = mark(token);
      const u = unrealized(p, last);
      realized += p.realized;
      open += u;
      if (strategyId !== null) positions.push({ instrument_token: token, quantity: p.quantity, average_price: Math.abs(toRupees(averagePrice(p))), last_price: last === undefined ? null : toRupees(last), realized_pnl: toRupees(p.realized), unrealized_pnl: toRupees(u) });
    }
  }
  return { strategy_id: strategyId, positions, realized_pnl: toRupees(realized), unrealized_pnl: toRupees(open), fees: toRupees(fees), cash: toRupees(cash), timestamp };
}

/**
 * One namespace's portfolio: applies fills to per-strategy accounts (exact paise) and, on each snapshot
 * tick, publishes a `pnl_snapshot` per strategy and one for the total, marked from the price caches,
 * and keeps them in the database. The book outlives a restart of this shell, and a restart of the
 * process rebuilds it from the ledger's fills.
 */
export function portfolioActor(ns: BrokerNamespace, book: PortfolioBook, prices: PriceBook, store: ChainStore): Behaviour<PortfolioBook, PortfolioMessage> {
  const topic = topicsFor(ns).pnlSnapshots;
  const source = `portfolio/${ns}`;
  const mark = (t: number) => prices.get(t)?.last;
  return {
    init: () => book,
    receive(b, message, ctx) {
      if ('kind' in message) {
        const now = ctx.clock.now();
        const ts = new Date(now).toISOString();
        for (const id of b.ids()) ctx.publish(topic, createEvent({ type: 'pnl_snapshot', broker: ns, source, key: id, data: snapshotOf(b, id, mark, ts), now }));
        ctx.publish(topic, createEvent({ type: 'pnl_snapshot', broker: ns, source, key: 'total', data: snapshotOf(b, null, mark, ts), now }));
        return b;
      }
      if (message.type === 'order_filled') b.apply(message.data);
      return b;
    },
    async afterBatch(b, _ctx, outputs: readonly Output[]) {
      await store.saveSnapshots(ns, outputs.flatMap((o) => (o.event.type === 'pnl_snapshot' ? [o.event as Envelope<'pnl_snapshot'>] : [])));
      return b;
    },
  };
}
