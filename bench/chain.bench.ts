import { Pipeline } from '../src/app/pipeline.ts';
import { createEvent, type Envelope } from '../src/contracts/envelope.ts';
import { EventRecord } from '../src/contracts/event-record.ts';
import { topicsFor } from '../src/contracts/topics.ts';
import { derivedId } from '../src/ids.ts';
import { quoteOf, toWire } from '../src/market/quote.ts';
import { alternate, profiled, type Summary, type Workload } from './measure.ts';
import { benchTicks } from './pipeline.bench.ts';
import { benchConfig, benchUniverse } from './universe.ts';
import { embeddedSystem, quietLog } from './system.ts';

export interface ChainFigures {
  readonly signals: number;
  /** Signals a second through the paper chain in process, and what each costs. */
  readonly chain: Summary;
  readonly usPerSignal: number;
}

interface Running {
  readonly pipeline: Pipeline;
  readonly publish: (e: Envelope) => void;
  readonly stop: () => Promise<void>;
}

/**
 * The account-wide chain alone, in process: signals put on paper.signals.raw as strategies put them, each
 * judged by risk, filled on paper, applied by the portfolio, and heard back by the strategies' ledgers and
 * the dashboard's feed (four events, nine deliveries). What a signal costs the single-writer main thread,
 * whatever the number of workers: the pipeline's limit when strategies signal often.
 */
export async function benchChain(count: number, instruments = 500): Promise<ChainFigures> {
  const { catalogue } = benchUniverse(instruments, 0);
  const ticks = benchTicks(count, instruments);
  const signals = ticks.map((t, i) => {
    const data = { signal_id: derivedId('bench-signal', i), strategy_id: `s${i % 1000}`, instrument_token: t.instrument_token, signal_type: (Math.floor(i / 1000) % 2 === 0 ? 'BUY' : 'SELL') as 'BUY' | 'SELL', quantity: 10, price: t.last_price, timestamp: t.exchange_timestamp, reason: 'bench', quote: toWire(quoteOf(t)) };
    return createEvent({ type: 'trading_signal', broker: 'paper', source: 'bench', key: data.strategy_id, data, now: Date.now(), id: derivedId(data.signal_id, 'paper') });
  });
  const topic = topicsFor('paper').signalsRaw;
  const workload: Workload<Running> = {
    units: count,
    prepare: async () => {
      const config = benchConfig();
      const system = embeddedSystem(config, quietLog('chain'));
      const pipeline = await Pipeline.start({ system, config, catalogue, strategies: [] });
      // The prices the chain marks positions at.
      await pipeline.direct!.publish(ticks);
      await pipeline.quiet(50);
      return {
        pipeline,
        publish: (e) => system.producer.publish(new EventRecord(topic, e, {}), undefined),
        stop: async () => {
          pipeline.stop();
          await system.stop();
        },
      };
    },
    run: async ({ pipeline, publish }) => {
      for (let i = 0; i < signals.length; i += 500) {
        for (let k = i; k < Math.min(signals.length, i + 500); k++) publish(signals[k]!);
        await new Promise((r) => setImmediate(r));
      }
      while (pipeline.stats.fills + pipeline.stats.rejected < signals.length || !pipeline.idle) await new Promise((r) => setImmediate(r));
    },
    cleanup: ({ stop }) => stop(),
  };
  const r = await profiled('chain', () => alternate({ chain: workload }));
  return { signals: count, chain: r.chain, usPerSignal: +(1e6 / r.chain.perSec.median).toFixed(1) };
}
