import type { FilterQuery, InferEntity } from '@mikro-orm/core';
import { toRupees } from '../money.ts';
import type { Database } from './database.ts';
import { LedgerEntryRow } from './entities.ts';

export const LEDGER_KINDS = ['validated', 'rejected', 'placed', 'filled', 'failed'] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

/** Which ledger entries to read: newest first, at most `limit`. */
export interface LedgerQuery {
  readonly kinds: readonly LedgerKind[];
  readonly namespace?: string;
  readonly strategy?: string;
  readonly instrument?: number;
  /** Event time from (inclusive) and until (exclusive). */
  readonly since?: Date;
  readonly until?: Date;
  readonly limit: number;
}

/** A ledger entry as the API shows it: money in rupees, times as ISO strings. */
export interface LedgerEntry {
  readonly kind: LedgerKind;
  readonly namespace: string;
  readonly strategy_id: string;
  readonly instrument_token: number;
  readonly side: 'BUY' | 'SELL';
  readonly quantity: number;
  readonly price: number;
  readonly fill_price: number | null;
  readonly fees: number | null;
  readonly order_id: string | null;
  readonly fill_id: string | null;
  readonly reason_code: string | null;
  readonly signal_kind: string;
  readonly correlation_id: string;
  readonly event_id: string;
  readonly ts: string;
}

/** The ledger's orders, fills, verdicts or failures, filtered (each filter is an indexed column or the event time). */
export async function queryLedger(db: Database, q: LedgerQuery): Promise<LedgerEntry[]> {
  const where: FilterQuery<InferEntity<typeof LedgerEntryRow>> = { kind: { $in: [...q.kinds] } };
  if (q.namespace) where.namespace = q.namespace;
  if (q.strategy) where.strategyId = q.strategy;
  if (q.instrument !== undefined) where.instrumentToken = q.instrument;
  if (q.since || q.until) where.eventTs = { ...(q.since ? { $gte: q.since } : {}), ...(q.until ? { $lt: q.until } : {}) };
  const rows = await db.em().find(LedgerEntryRow, where, { orderBy: { eventTs: 'desc', recordedAt: 'desc' }, limit: q.limit });
  return rows.map((r) => ({
    kind: r.kind,
    namespace: r.namespace,
    strategy_id: r.strategyId,
    instrument_token: r.instrumentToken,
    side: r.side,
    quantity: r.quantity,
    price: toRupees(r.pricePaise),
    fill_price: r.fillPricePaise === null || r.fillPricePaise === undefined ? null : toRupees(r.fillPricePaise),
    fees: r.feesPaise === null || r.feesPaise === undefined ? null : toRupees(r.feesPaise),
    order_id: r.orderId ?? null,
    fill_id: r.fillId ?? null,
    reason_code: r.reasonCode ?? null,
    signal_kind: r.signalKind,
    correlation_id: r.correlationId,
    event_id: r.eventId,
    ts: r.eventTs.toISOString(),
  }));
}
