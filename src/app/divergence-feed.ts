import { every, type Clock, type Timer } from '../clock.ts';
import type { DivergenceSide } from '../contracts/divergence.ts';
import { createEvent } from '../contracts/envelope.ts';
import { EventRecord } from '../contracts/event-record.ts';
import { topicsFor } from '../contracts/topics.ts';
import type { Database } from '../db/database.ts';
import { ledgerDivergence } from '../divergence/ledger-divergence.ts';
import { derivedId } from '../ids.ts';
import type { Logger } from '../log.ts';
import { publishConfirmed, type Outbox } from '../runtime/outbox.ts';

/** A side has ended: refused, failed, or filled in full (a partial fill may still be followed by more). */
const ended = (s: DivergenceSide) => s.outcome !== 'open' && (s.outcome !== 'partially_filled' || s.reason_code !== null);

/**
 * Publishes a `chain_divergence` on zerodha.divergence for each signal traded both ways once both sides
 * have ended (filled, refused or failed), read from the ledger every `everyMs`: the ledger is where both
 * chains' outcomes meet, whichever instance, restart or order they came in. Each chain's event has an id
 * derived from its signal, so one published again after a restart is recognisably the same.
 */
export function startDivergenceFeed(db: Database, producer: Outbox, clock: Clock, log: Logger, everyMs: number): Timer {
  const published = new Set<string>();
  return every(clock, everyMs, async () => {
    try {
      const { chains } = await ledgerDivergence(db);
      const now = clock.now();
      const fresh = chains.filter((c) => ended(c.paper) && ended(c.live) && !published.has(c.signal_id));
      const topic = topicsFor('zerodha').divergence;
      const records = fresh.map((data) => new EventRecord(topic, createEvent({ type: 'chain_divergence', broker: 'zerodha', source: 'divergence/zerodha', key: data.strategy_id, data, now, id: derivedId(data.signal_id, 'divergence') }), {}));
      await publishConfirmed(producer, records);
      for (const c of fresh) published.add(c.signal_id);
    } catch (e) {
      log.warn({ err: e }, 'the paper-versus-live divergence could not be read from the ledger: tried again shortly');
    }
  });
}
