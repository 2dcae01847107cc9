import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Pipeline } from '../../src/app/pipeline.ts';
import { run, type RunResult } from '../../src/app/run.ts';
import { ShardLink } from '../../src/app/shard/shard-link.ts';
import type { MemoryTransport } from '../../src/bus/memory/memory-transport.ts';
import type { AnyEnvelope } from '../../src/contracts/envelope.ts';
import { dlqOf, MARKET_TICKS, topicsFor } from '../../src/contracts/topics.ts';
import { rootLogger } from '../../src/log.ts';
import { InstrumentCatalogue } from '../../src/market/instruments.ts';
import { StrategyLedger } from '../../src/strategies/ledger.ts';
import { STRATEGIES } from '../../src/strategies/registry.ts';
import { makeSystem, makeTransport } from '../support/harness.ts';
import { decodeAll, expectChainsIntact, keepOpen, recordTopics, testConfig } from '../support/pipeline.ts';

const paper = topicsFor('paper');

/**
 * A fast simulation of a minute of market at 2,000 ticks/s (steps of 100 ticks), from a fixed start, with the default
 * strategies (several of them trade instruments that end up in different shards): what it traded, as
 * read back from the log, and its summary.
 */
async function simulated(workers: number): Promise<{ result: RunResult; events: AnyEnvelope[] }> {
  const transport = keepOpen(makeTransport('memory'));
  const recorder = await recordTopics(transport, [paper.signalsRaw, paper.signalsRejected, paper.ordersSubmitted, paper.ordersFilled, paper.ordersFailed, paper.signalsValidated]);
  const config = testConfig({ workers, trading: { strategiesFile: 'config/strategies.yaml' }, feed: { sim: { pace: 'fast', seconds: 60, ticksPerSecond: 2000, startAt: '2025-08-11T04:00:00Z' } } });
  const result = await run({ config, feed: { kind: 'sim' }, stopWhenReplayed: false, status: false, log: rootLogger, transport });
  const s = result.pipeline!.stats;
  const expected = s.signals + s.validated + s.rejected + 2 * s.fills + s.failed;
  for (let i = 0; i < 500 && recorder.records.length < expected; i++) await new Promise((r) => setTimeout(r, 10));
  await recorder.sub.stop();
  await transport.closeNow();
  return { result, events: decodeAll(recorder.records) };
}

/** What trading happened, without the ids a run makes afresh (the ticks' events are new each run). */
function trades(events: readonly AnyEnvelope[]) {
  const out: string[] = [];
  for (const e of events) {
    if (e.type === 'trading_signal') out.push(`signal ${e.data.strategy_id} ${e.data.instrument_token} ${e.data.signal_type} ${e.data.quantity} @${e.data.price} ${e.data.timestamp}`);
    if (e.type === 'order_filled') out.push(`fill ${e.data.strategy_id} ${e.data.instrument_token} ${e.data.signal_type} ${e.data.quantity} @${e.data.fill_price} fees ${e.data.fees} ${e.data.timestamp}`);
    if (e.type === 'rejected_signal') out.push(`rejected ${e.data.original_signal.strategy_id} ${e.data.reason_code} ${e.data.original_signal.timestamp}`);
  }
  return out.sort();
}

describe('the market side sharded over worker threads', () => {
  it('two workers trade exactly as one thread: the same signals, fills, charges and P&L, each chain intact', async () => {
    const one = await simulated(1);
    const two = await simulated(2);
    expect(one.result.pipeline!.shards).toBeUndefined();
    const shards = two.result.pipeline!.shards!;
    expect(shards.links).toHaveLength(2);
    // Both workers ran strategies (the default ones trade eleven instruments).
    expect(shards.tradedIn(0).size).toBeGreaterThan(0);
    expect(shards.tradedIn(1).size).toBeGreaterThan(0);
    expect(two.result.published).toBe(120_000);
    expect(one.result.published).toBe(120_000);
    const fills = one.events.filter((e) => e.type === 'order_filled').length;
    expect(fills).toBeGreaterThan(50);
    expect(trades(two.events)).toEqual(trades(one.events));
    expectChainsIntact(two.events);
    // The summaries (per strategy: ticks seen, signals, fills, positions, realized, fees, cash) agree to the paisa.
    expect(two.result.data).toEqual(one.result.data);
  }, 120_000);

  it('a strategy reconfigured in its shard before its first tick starts afresh, and one reconfigured after carries its state', async () => {
    const catalogue = InstrumentCatalogue.load('config/instruments.csv');
    const momentum = STRATEGIES.get('simple_momentum')!;
    const reliance = catalogue.bySymbolLoose('RELIANCE')!;
    const instance = (threshold: number) => ({ id: 'reconfigured', strategy: momentum, instruments: [reliance.token], live: false, params: momentum.params.parse({ lookback_period: 3, momentum_threshold: threshold, position_size: 1 }) });
    const transport = makeTransport('memory') as MemoryTransport;
    const system = makeSystem(transport);
    const pipeline = await Pipeline.start({ system, config: testConfig(), catalogue, strategies: [], workers: 2 });
    const shards = pipeline.shards!;
    try {
      const step = async (from: number, to: number) => {
        shards.simulate([reliance], { seed: 'reconfigure', volatility: 0.01, base: randomUUID(), source: 'test' });
        await Promise.all(shards.links.map((l) => l.step(from, to, Date.UTC(2025, 7, 11, 4, 0), 10)));
        await pipeline.quiet(50);
      };
      // Reconfigured before any tick reached it: nothing to carry, a fresh state (no failure).
      const first = pipeline.addStrategy(instance(0.5));
      pipeline.removeStrategy('reconfigured');
      const second = pipeline.addStrategy(instance(0.5), { carried: first.current!.strategy });
      await step(0, 20);
      expect(pipeline.stats.byStrategy.get('reconfigured')?.ticks).toBe(20);
      // Reconfigured after: the new parameters take over the window it had.
      pipeline.removeStrategy('reconfigured');
      pipeline.addStrategy(instance(0.000001), { carried: second.current!.strategy });
      // Three ticks: a fresh state (four prices to a decision) could not signal on them; the carried one can.
      await step(20, 23);
      expect(pipeline.stats.signals).toBeGreaterThan(0);
      expect(transport.read(dlqOf(MARKET_TICKS))).toEqual([]);
    } finally {
      pipeline.stop();
      await pipeline.close();
      await system.stop();
    }
  });

  it('a shard that fails stops the run with the reason, named', async () => {
    const failures: Error[] = [];
    const link = new ShardLink({ index: 0, config: testConfig(), instanceId: 'test', transport: makeTransport('memory'), log: rootLogger, onStats: () => undefined, onFatal: (e) => failures.push(e) });
    try {
      await link.ready;
      link.spawn({ id: 'ghost', type: 'no_such_strategy', params: {}, instruments: [738561], live: false, namespaces: ['paper'] }, new StrategyLedger().snapshot(), false);
      for (let i = 0; i < 200 && failures.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(failures.map((e) => e.message)).toEqual([expect.stringMatching(/strategy 'ghost': type 'no_such_strategy' is not in this build's registry/)]);
    } finally {
      await link.stop(2000);
    }
  });
});
