import { describe, expect, it } from 'vitest';
import type { StrategyBehaviour } from '../../actors/strategy.ts';
import { warmUp, type LivePosition } from '../../src/app/warm-up.ts';
import { MemoryTransport } from '../../src/bus/memory/memory-transport.ts';
import { createEvent, type Envelope } from '../../src/contracts/envelope.ts';
import type { MarketTick } from '../../src/contracts/events.ts';
import { EventRecord } from '../../src/contracts/event-record.ts';
import { MARKET_TICKS } from '../../src/contracts/topics.ts';
import { StrategyLedger } from '../../src/strategies/ledger.ts';

/**
 * Where a strategy taken over picks up: ticks its last owner had are replayed with signals off, ticks
 * the live consumer passed before the strategy was attached here are handed back to be handled with
 * signals on, and the rest come live. One partition, ten ticks at offsets 0-9 (price 100 + offset).
 */
const TOKEN = 738561;
const at = Date.UTC(2025, 7, 11, 4, 0);

function ticks(): Envelope<'market_tick'>[] {
  return Array.from({ length: 10 }, (_, i) => {
    const ts = new Date(at + i * 1000).toISOString();
    return createEvent({ type: 'market_tick', broker: 'market', source: 'test', key: String(TOKEN), now: at + i * 1000, id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, data: { instrument_token: TOKEN, last_price: 100 + i, volume: i, exchange_timestamp: ts, timestamp: ts, simulated: true } });
  });
}

/** A strategy whose state is the prices it has seen: what the warm-up replayed, in order. */
function recorder(): StrategyBehaviour {
  const instance = { id: 'rec', instruments: [TOKEN], params: {}, strategy: { init: () => [] } };
  return { instance, warm: (state: number[], tick: MarketTick) => [...state, tick.last_price - 100] } as unknown as StrategyBehaviour;
}

async function run(live: LivePosition, signalledAt: readonly number[]) {
  const transport = new MemoryTransport({ partitions: 1, maxBatch: 3, retention: 1000, durable: true });
  const log = ticks();
  await transport.send(log.map((e) => new EventRecord(MARKET_TICKS, e, {})));
  const ledger = new StrategyLedger();
  for (const i of signalledAt) ledger.madeOn(log[i]!.id);
  const s = recorder();
  const r = await warmUp(transport, [s], live, 0, () => ledger);
  const w = r.warmed.get(s)!;
  return { replayed: w.state, catchUp: w.catchUp.map((t) => t.data.last_price - 100), from: w.from.get(0) };
}

const at0 = (n: number) => new Map([[0, BigInt(n)]]);

describe('warm-up of a strategy taken over', () => {
  it('replays up to its last signal on the log, hands back the passed ticks after it, and leaves the rest live', async () => {
    // The consumer began at 2 (its committed offset) and has handed out 2-7 before the strategy came.
    expect(await run({ start: at0(2), until: at0(8) }, [5])).toEqual({ replayed: [0, 1, 2, 3, 4, 5], catchUp: [6, 7], from: 8n });
  });

  it('replays past where the consumer is when its last owner signalled later, and skips those ticks live', async () => {
    expect(await run({ start: at0(2), until: at0(6) }, [8])).toEqual({ replayed: [0, 1, 2, 3, 4, 5, 6, 7, 8], catchUp: [], from: 9n });
  });

  it('with no signal on the log, replays only what came before the consumer began, and hands back what it passed since', async () => {
    expect(await run({ start: at0(3), until: at0(7) }, [])).toEqual({ replayed: [0, 1, 2], catchUp: [3, 4, 5, 6], from: 7n });
  });

  it('a new group (starting at the end of the log as it was at start) that has handed out nothing yet: the whole log is history', async () => {
    expect(await run({ start: at0(10), until: new Map() }, [])).toEqual({ replayed: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], catchUp: [], from: 10n });
  });

  it('a replay from the start of the log: nothing is history, every tick comes live', async () => {
    expect(await run({ start: at0(0), until: new Map() }, [])).toEqual({ replayed: [], catchUp: [], from: 0n });
  });
});
