import type { ChainDivergence } from '../contracts/divergence.ts';
import type { BrokerNamespace } from '../contracts/topics.ts';
import type { Database } from '../db/database.ts';
import { LedgerEntryRow } from '../db/entities.ts';
import { compareLedger, summarise, type DivergenceSummary, type LedgerFact } from './compare.ts';

export interface DivergenceQuery {
  /** YYYY-MM-DD (IST); absent: the latest day in the ledger. */
  readonly day?: string | undefined;
  readonly strategy?: string | undefined;
}

export interface DayDivergence {
  /** The trading day read; undefined when the ledger holds nothing (for the strategy asked for). */
  readonly day: string | undefined;
  readonly chains: readonly ChainDivergence[];
  readonly summary: DivergenceSummary;
}

const NAMESPACES: readonly BrokerNamespace[] = ['paper', 'zerodha'];

const FIELDS = ['kind', 'namespace', 'correlationId', 'signalId', 'strategyId', 'instrumentToken', 'side', 'quantity', 'pricePaise', 'fillPricePaise', 'feesPaise', 'reasonCode', 'orderId', 'eventTs', 'event'] as const;

/** One trading day of the ledger, paper against live. */
export async function ledgerDivergence(db: Database, query: DivergenceQuery = {}): Promise<DayDivergence> {
  const em = db.em();
  const scope = { namespace: { $in: [...NAMESPACES] }, ...(query.strategy ? { strategyId: query.strategy } : {}) };
  const day = query.day ?? (await em.findOne(LedgerEntryRow, scope, { orderBy: { tradingDay: 'desc' }, fields: ['tradingDay'] }))?.tradingDay;
  if (!day) return { day, chains: [], summary: summarise([], { paperOnly: 0, liveOnly: 0 }) };
  const rows = await em.find(LedgerEntryRow, { ...scope, tradingDay: day }, { fields: [...FIELDS] });
  const facts: LedgerFact[] = rows.map((r) => ({ ...r, event: r.event as unknown as LedgerFact['event'] }));
  const { chains, unpaired } = compareLedger(facts);
  return { day, chains, summary: summarise(chains, unpaired) };
}
