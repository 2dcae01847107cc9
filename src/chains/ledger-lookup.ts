import type { AnyEnvelope } from '../contracts/envelope.ts';
import type { Database } from '../db/database.ts';
import { LedgerEntryRow } from '../db/entities.ts';

/**
 * The events of a chain in the ledger, and of its sibling chains (the same strategy signal in the other
 * namespaces): every `ledger_entry` row keeps its event's whole envelope. `id` is a chain's correlation
 * id, or the signal id the chains share. The ledger holds verdicts, orders, fills and failures; the
 * signal itself is there only nested in its verdict (`original_signal`).
 */
export async function chainEventsInLedger(db: Database, id: string): Promise<AnyEnvelope[]> {
  const em = db.em();
  const asked = await em.find(LedgerEntryRow, { $or: [{ correlationId: id }, { signalId: id }] }, { fields: ['correlationId', 'signalId'] });
  if (asked.length === 0) return [];
  const signals = [...new Set(asked.map((r) => r.signalId).filter((s): s is string => !!s))];
  const siblings = signals.length > 0 ? await em.find(LedgerEntryRow, { signalId: { $in: signals } }, { fields: ['correlationId'] }) : [];
  // By correlation id too: an order row without a signal id (a broker's own) is still its chain's.
  const chains = [...new Set([...asked, ...siblings].map((r) => r.correlationId))];
  const rows = await em.find(LedgerEntryRow, { correlationId: { $in: chains } }, { fields: ['event'], orderBy: { eventTs: 'asc', recordedAt: 'asc' } });
  return rows.map((r) => r.event as unknown as AnyEnvelope);
}
