import { describe, expect, it } from 'vitest';
import { KafkaTransport } from '../../src/bus/kafka/kafka-transport.ts';
import { loadConfig } from '../../src/config/load.ts';
import { MARKET_TICKS, topicsFor } from '../../src/contracts/topics.ts';
import { InstrumentCatalogue } from '../../src/market/instruments.ts';
import { rootLogger } from '../../src/log.ts';
import { istDate } from '../../src/market/market-hours.ts';
import { startMockBroker, testBrokerOptions } from '../broker/mock-broker.ts';
import { spawnCli } from '../support/cli.ts';
import { recordTopics, waitFor } from '../support/harness.ts';
import { decodeAll, expectChargesIndependent } from '../support/pipeline.ts';

interface Summary {
  summary: { strategies: Array<{ strategy: string; positions: Array<{ instrument: string; quantity: number }>; fills: number }>; totals: Array<{ fills: number }>; rejections: Record<string, number> };
}

describe('the Kafka path as a deployment runs it', () => {
  it('the split deployment (feed sim + run --feed none, as docker-compose runs it) trades at any hour: simulated ticks say so on the wire, fills are charged to the paisa', async () => {
    const broker = await startMockBroker(1);
    const transport = new KafkaTransport(testBrokerOptions(broker.bootstrap), rootLogger);
    const ticks = await recordTopics(transport, [MARKET_TICKS]);
    const fills = await recordTopics(transport, [topicsFor('paper').ordersFilled]);
    // Today is a holiday for the market-hours rule: real ticks could not trade now, simulated ones may.
    const env = { ALPHA_PANDA_RISK__MARKET_HOURS__HOLIDAYS: `[${istDate(Date.now())}]`, KAFKA_GROUP_PREFIX: 'split' };
    const app = spawnCli(['run', '--bus', 'kafka', '--brokers', broker.bootstrap, '--feed', 'none', '--json'], env);
    const feed = spawnCli(['feed', 'sim', '--bus', 'kafka', '--brokers', broker.bootstrap], env);
    try {
      await app.waitFor(() => /fills ([2-9]|\d\d+)/.test(app.err), 60_000, 'fills in the pipeline process');
      feed.kill('SIGTERM');
      expect(await feed.exited).toBe(0);
      app.kill('SIGTERM');
      expect(await app.exited).toBe(0);
      const doc = JSON.parse(app.out) as Summary;
      expect(doc.summary.totals[0]!.fills).toBeGreaterThan(1);
      expect(doc.summary.rejections.MARKET_CLOSED ?? 0).toBe(0);
      await waitFor(() => ticks.records.length > 10, 'ticks read back from the log');
      expect(decodeAll(ticks.records.slice(0, 10)).every((e) => e.type === 'market_tick' && e.data.simulated === true)).toBe(true);
      // Every fill of the simulated run, read back from the log, charged what an independent calculation says.
      await waitFor(() => fills.records.length >= doc.summary.totals[0]!.fills, 'the fills read back from the log');
      const checked = expectChargesIndependent(decodeAll(fills.records), loadConfig({}), InstrumentCatalogue.load('config/instruments.csv'));
      expect(checked).toBe(doc.summary.totals[0]!.fills);
    } finally {
      app.kill('SIGKILL');
      feed.kill('SIGKILL');
      await fills.sub.stop();
      await ticks.sub.stop();
      await transport.close();
      await broker.stop();
    }
  }, 120_000);

  it('long-only strategies never end short over Kafka, though entries are refused while their exits are in flight', async () => {
    const broker = await startMockBroker(1);
    try {
      const app = spawnCli(['run', '--bus', 'kafka', '--brokers', broker.bootstrap, '--strategies', 'tests/fixtures/eager-strategies.yaml', '--duration', '20', '--json', '--no-status'], {
        ALPHA_PANDA_RISK__ORDERS_PER_SECOND: '2',
        ALPHA_PANDA_FEED__SIM__TICKS_PER_SECOND: '400',
        ALPHA_PANDA_FEED__SIM__VOLATILITY: '0.0005',
      });
      expect(await app.exited).toBe(0);
      const doc = JSON.parse(app.out) as Summary;
      // The race happened: sells refused because the entry they counted on was refused first.
      expect(doc.summary.rejections.LONG_ONLY ?? 0).toBeGreaterThan(0);
      expect(doc.summary.rejections.RATE_LIMIT_SECOND ?? 0).toBeGreaterThan(0);
      for (const s of doc.summary.strategies) for (const p of s.positions) expect(p.quantity, `${s.strategy} ${p.instrument}`).toBeGreaterThan(0);
    } finally {
      await broker.stop();
    }
  }, 90_000);
});
