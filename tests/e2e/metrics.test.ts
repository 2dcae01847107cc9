import { describe, expect, it } from 'vitest';
import { instanceIdOf, run } from '../../src/app/run.ts';
import type { AnyEnvelope, Envelope } from '../../src/contracts/envelope.ts';
import type { EventType } from '../../src/contracts/events.ts';
import { consumerGroup, MARKET_TICKS, topicsFor } from '../../src/contracts/topics.ts';
import { rootLogger } from '../../src/log.ts';
import { pipelineMetrics } from '../../src/telemetry/metrics.ts';
import { makeTransport, waitFor } from '../support/harness.ts';
import { decodeAll, keepOpen, NIFTY_FEED, recordTopics, testConfig } from '../support/pipeline.ts';
import { parseMetrics, samples, value } from '../support/prometheus.ts';

describe('metrics', () => {
  it('a scrape after a short run has the counters with the values the log implies', async () => {
    const transport = keepOpen(makeTransport('memory'));
    const paper = topicsFor('paper');
    // Recorded from before the run: the in-process bus drops what every group has committed.
    const recorder = await recordTopics(transport, [MARKET_TICKS, paper.signalsRaw, paper.signalsValidated, paper.signalsRejected, paper.ordersFilled, paper.ordersFailed]);
    try {
      const config = testConfig();
      const result = await run({ config, feed: NIFTY_FEED, stopWhenReplayed: true, status: false, log: rootLogger, transport });
      const p = result.pipeline!;
      const s = p.stats;
      await waitFor(() => recorder.records.length >= s.signals + s.validated + s.rejected + s.fills + s.failed, 'every event of the run recorded');
      const events = decodeAll(recorder.records);
      const on = <T extends EventType>(topic: string, type: T) => events.filter((e, i): e is Envelope<T> & AnyEnvelope => recorder.records[i]!.topic === topic && e.type === type);
      const ticks = on(MARKET_TICKS, 'market_tick').length;
      const signals = on(paper.signalsRaw, 'trading_signal').length;
      const validated = on(paper.signalsValidated, 'validated_signal').length;
      const rejected = on(paper.signalsRejected, 'rejected_signal');
      const fills = on(paper.ordersFilled, 'order_filled').length;
      const failed = on(paper.ordersFailed, 'order_failed');
      // The run did something worth counting: a replay of a day with signals, verdicts of both kinds and fills.
      // On the in-process bus a feed's ticks go straight to the actors (src/fanout), not through market.ticks.
      expect(ticks).toBe(0);
      expect(result.published).toBe(296);
      expect(signals).toBeGreaterThan(0);
      expect(rejected.length).toBeGreaterThan(0);
      expect(fills).toBeGreaterThan(0);

      const scraped = parseMetrics(await pipelineMetrics(p.system, () => p).scrape());
      const paperNs = { namespace: 'paper' };
      expect(value(scraped, 'alpha_panda_ticks_received_total')).toBe(result.published);
      expect(value(scraped, 'alpha_panda_signals_total', paperNs)).toBe(signals);
      expect(value(scraped, 'alpha_panda_signals_validated_total', paperNs)).toBe(validated);
      expect(value(scraped, 'alpha_panda_fills_total', paperNs)).toBe(fills);
      // No live namespace in this configuration: no series for one.
      expect(samples(scraped, 'alpha_panda_signals_total', { namespace: 'zerodha' })).toEqual([]);

      const byCode = (list: readonly { data: { reason_code: string } }[]) => {
        const m: Record<string, number> = {};
        for (const e of list) m[e.data.reason_code] = (m[e.data.reason_code] ?? 0) + 1;
        return m;
      };
      const scrapedByCode = (name: string) => Object.fromEntries(samples(scraped, name, paperNs).map((x) => [x.labels.reason_code, x.value]));
      expect(scrapedByCode('alpha_panda_signals_rejected_total')).toEqual(byCode(rejected));
      expect(scrapedByCode('alpha_panda_orders_failed_total')).toEqual(byCode(failed));

      // One latency per signal and one per fill, each measured in process time (well under 10 s), not market time.
      expect(value(scraped, 'alpha_panda_tick_to_signal_seconds_count')).toBe(signals);
      expect(value(scraped, 'alpha_panda_tick_to_signal_seconds_bucket', { le: '10' })).toBe(signals);
      expect(value(scraped, 'alpha_panda_signal_to_fill_seconds_count', paperNs)).toBe(fills);
      expect(value(scraped, 'alpha_panda_signal_to_fill_seconds_bucket', { ...paperNs, le: '10' })).toBe(fills);
      expect(value(scraped, 'alpha_panda_signal_to_fill_seconds_sum', paperNs)).toBeGreaterThan(0);

      // Nothing was dead-lettered or restarted in a clean run; the mailboxes are empty once it has stopped.
      expect(samples(scraped, 'alpha_panda_dead_letters_total')).toEqual([]);
      expect(samples(scraped, 'alpha_panda_actor_restarts_total')).toEqual([]);
      expect(samples(scraped, 'alpha_panda_mailbox_messages').map((x) => x.labels.kind)).toEqual(expect.arrayContaining(['strategy', 'price-cache', 'risk', 'execution', 'portfolio', 'consumer', 'producer']));
      expect(samples(scraped, 'alpha_panda_mailbox_messages').every((x) => x.value === 0)).toBe(true);
      // Every group of the run, and the tick group took every tick.
      const groups = new Set(p.system.consumers.map((c) => c.behaviour.options.groupId));
      expect(new Set(samples(scraped, 'alpha_panda_consumer_lag_records').map((x) => x.labels.group))).toEqual(groups);
      expect(value(scraped, 'alpha_panda_consumer_lag_records', { group: consumerGroup(config.kafka.groupPrefix, 'strategy-runner', { instance: instanceIdOf(config) }) })).toBe(0);

      // The process's own metrics are there too.
      expect(samples(scraped, 'process_cpu_user_seconds_total')).toHaveLength(1);
      expect(samples(scraped, 'nodejs_heap_size_used_bytes')).toHaveLength(1);
    } finally {
      await recorder.sub.stop();
      await transport.closeNow();
    }
  });
});
