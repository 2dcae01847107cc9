import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChain } from '../../src/chains/find-chain.ts';
import { systemClock } from '../../src/clock.ts';
import type { AnyEnvelope } from '../../src/contracts/envelope.ts';
import { DbChainStore } from '../../src/db/chain-store.ts';
import { Database } from '../../src/db/database.ts';
import { InputError } from '../../src/errors.ts';
import { rootLogger } from '../../src/log.ts';
import { chain, signalNamed } from '../support/chains.ts';
import { BACKENDS, type TestDatabase } from '../support/databases.ts';

describe.each(BACKENDS)('a chain read back from the ledger on $name', ({ make }) => {
  let t: TestDatabase;
  let db: Database;
  const signal = signalNamed('ledger');
  const paper = chain('paper', { verdict: 2, placed: 3, fills: [[3, 5]] }, signal);
  const live = chain('zerodha', { verdict: 4, placed: 40, fills: [[120, 2], [250, 3]] }, signal);
  const other = chain('paper', { verdict: 1, rejected: true }, signalNamed('another'));
  beforeAll(async () => {
    t = await make();
    db = await Database.open(t.settings, rootLogger);
    await db.migrate();
    const store = new DbChainStore(db, systemClock, rootLogger);
    // As the risk checker and execution record them: everything but the signal itself.
    const ledgered = (events: AnyEnvelope[]) => events.filter((e) => e.type !== 'trading_signal');
    await store.record('paper', [...ledgered(paper), ...ledgered(other)]);
    await store.record('zerodha', ledgered(live));
    store.close();
  }, 60_000);
  afterAll(async () => {
    await db?.close();
    await t?.drop();
  });

  it('finds a chain by its correlation id with its live sibling, each hop from its stored envelope', async () => {
    const found = (await findChain({ db }, paper[0]!.id))!;
    expect(found).toMatchObject({ from: 'ledger', complete: true, signalId: signal.signal_id, strategyId: 'momo' });
    expect(found.namespaces.map((c) => [c.namespace, c.correlationId, c.outcome, c.filled])).toEqual([
      ['paper', paper[0]!.id, 'filled', 5],
      ['zerodha', live[0]!.id, 'filled', 5],
    ]);
    expect(found.namespaces[1]!.hops.map((h) => [h.type, h.eventId, h.ts, h.sincePreviousMs])).toEqual([
      ['trading_signal', live[0]!.id, null, null],
      ['validated_signal', live[1]!.id, live[1]!.ts, null],
      ['order_placed', live[2]!.id, live[2]!.ts, 36],
      ['order_filled', live[3]!.id, live[3]!.ts, 80],
      ['order_filled', live[4]!.id, live[4]!.ts, 130],
    ]);
  });

  it('finds both chains by the signal id they share, and the same chains from the live one', async () => {
    const bySignal = (await findChain({ db }, signal.signal_id))!;
    const byLive = (await findChain({ db }, live[0]!.id))!;
    expect(bySignal.namespaces.map((c) => c.correlationId)).toEqual([paper[0]!.id, live[0]!.id]);
    expect(byLive.namespaces).toEqual(bySignal.namespaces);
  });

  it('keeps other chains out, says nothing for an id it does not hold, and refuses an id that is no uuid', async () => {
    const rejected = (await findChain({ db }, other[0]!.id))!;
    expect(rejected.namespaces.map((c) => [c.namespace, c.outcome, c.decision?.reasonCode])).toEqual([['paper', 'rejected', 'MAX_POSITION_INSTRUMENT']]);
    expect(await findChain({ db }, '3f2504e0-4f89-41d3-9a0c-0305e82c3301')).toBeUndefined();
    await expect(findChain({ db }, 'not-a-uuid')).rejects.toBeInstanceOf(InputError);
  });
});
