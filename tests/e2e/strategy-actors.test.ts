import { describe, expect, it } from 'vitest';
import { Pipeline } from '../../src/app/pipeline.ts';
import { DLT } from '../../src/contracts/dead-letter.ts';
import { EventRecord } from '../../src/contracts/event-record.ts';
import { dlqOf, MARKET_TICKS } from '../../src/contracts/topics.ts';
import { InstrumentCatalogue } from '../../src/market/instruments.ts';
import type { StrategyInstance } from '../../src/strategies/config.ts';
import { STRATEGIES } from '../../src/strategies/registry.ts';
import { defineStrategy } from '../../src/strategies/sdk.ts';
import { z } from 'zod';
import { makeSystem, makeTransport, tick, waitFor } from '../support/harness.ts';
import { recordTopics, testConfig } from '../support/pipeline.ts';

const catalogue = InstrumentCatalogue.load('config/instruments.csv');
const RELIANCE = 738561;

/** A strategy with a bug: it asks for one and a half shares on every tick. */
const halfShares = defineStrategy({
  name: 'half_shares',
  description: 'broken on purpose',
  params: z.object({}),
  init: () => null,
  onTick: (state, t) => ({ state, signals: [{ instrument_token: t.instrument_token, signal_type: 'BUY' as const, quantity: 1.5, reason: 'bug' }] }),
});

async function startPipeline(strategies: StrategyInstance[], risk: Record<string, unknown> = {}) {
  const transport = makeTransport('memory');
  const system = makeSystem(transport, { policy: { maxAttempts: 1 } });
  // Ticks stamped with the wall clock: no session rules (market hours, square-off) whatever the hour.
  const config = testConfig({ supervision: { maxAttempts: 1 }, risk, trading: { squareOffAt: null } });
  const pipeline = await Pipeline.start({ system, config: { ...config, risk: { ...config.risk, marketHours: { ...config.risk.marketHours, enabled: false } } }, catalogue, strategies });
  const publish = (price: number) => system.producer.publish(new EventRecord(MARKET_TICKS, tick(RELIANCE, price, Date.now()), {}), undefined);
  return { transport, system, pipeline, publish };
}

describe('strategy actors', () => {
  it('a strategy that returns an invalid signal publishes nothing, and its tick lands on market.ticks.dlq with the reason', async () => {
    const { transport, system, pipeline, publish } = await startPipeline([{ id: 'buggy', strategy: halfShares as never, instruments: [RELIANCE], params: {}, live: false }]);
    const dlq = await recordTopics(transport, [dlqOf(MARKET_TICKS)]);
    publish(1385);
    await waitFor(() => dlq.records.length === 1, 'the tick on the DLQ');
    expect(dlq.records[0]!.headers[DLT.exceptionMessage]).toMatch(/strategy buggy: returned an invalid signal: quantity: .*int/);
    expect(dlq.records[0]!.headers[DLT.actorPath]).toContain('/strategies/buggy');
    expect(pipeline.stats.signals).toBe(0);
    expect(pipeline.prices.get(RELIANCE)?.last).toBe(138_500); // the price cache still took it
    pipeline.stop();
    await system.stop();
  });

  it('a strategy spawned at run time receives the next ticks of its instrument, and one removed stops receiving them', async () => {
    const { system, pipeline, publish } = await startPipeline([]);
    const momentum = STRATEGIES.get('simple_momentum')!;
    pipeline.addStrategy({ id: 'late', strategy: momentum, instruments: [RELIANCE], live: false, params: momentum.params.parse({ lookback_period: 1, momentum_threshold: 0.001, position_size: 1 }) });
    publish(1000);
    publish(1010); // +1% over one tick: BUY
    await waitFor(() => pipeline.stats.fills === 1, 'the late strategy to trade');
    pipeline.removeStrategy('late');
    publish(1000);
    publish(990);
    await pipeline.quiet(100);
    expect(pipeline.stats.signals).toBe(1);
    expect(pipeline.strategyIds).toEqual([]);
    pipeline.stop();
    await system.stop();
  });

  it('a strategy whose entry risk rejected does not believe it holds: the fall after it sells nothing', async () => {
    const momentum = STRATEGIES.get('simple_momentum')!;
    const instance = { id: 'refused', strategy: momentum, instruments: [RELIANCE], live: false, params: momentum.params.parse({ lookback_period: 1, momentum_threshold: 0.001, position_size: 10 }) };
    const { system, pipeline, publish } = await startPipeline([instance], { maxQuantityPerOrder: 5 });
    publish(1000);
    publish(1010); // +1%: BUY 10, refused (MAX_QUANTITY 5)
    await waitFor(() => pipeline.stats.rejected === 1 && pipeline.ledgers.get('refused')!.pending === 0, 'the rejection to reach the strategy');
    expect(pipeline.ledgers.get('refused')!.position(RELIANCE)).toBe(0);
    publish(1000); // -1%: an exit, if it thought it was long
    await pipeline.quiet(100);
    expect(pipeline.stats.signals).toBe(1);
    expect(pipeline.stats.fills).toBe(0);
    pipeline.stop();
    await system.stop();
  });
});
