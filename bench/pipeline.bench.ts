import { randomUUID } from 'node:crypto';
import { Pipeline } from '../src/app/pipeline.ts';
import { systemFor } from '../src/app/system.ts';
import { MemoryTransport } from '../src/bus/memory/memory-transport.ts';
import { systemClock } from '../src/clock.ts';
import type { MarketTick } from '../src/contracts/events.ts';
import { SimMarket } from '../src/feeds/sim.ts';
import { rootLogger } from '../src/log.ts';
import { alternate, profiled, ratio, round, type Summary, type Workload } from './measure.ts';
import { benchConfig, benchUniverse } from './universe.ts';

export interface ThroughputFigures {
  readonly ticks: number;
  readonly instruments: number;
  readonly strategies: number;
  /** The in-process delivery alone: the same ticks into the price caches, no strategy. */
  readonly cachesOnly: Summary;
  /** The whole embedded pipeline: caches, strategies, risk, paper execution, portfolio. */
  readonly pipeline: Summary;
  readonly ratioToCachesOnly: number;
  readonly signals: number;
  readonly fills: number;
}

/** The benchmark's ticks: a seeded walk over `instruments` instruments, depth included, a millisecond apart. */
const TICK_SEED = 'bench-ticks';
const TICK_VOLATILITY = 0.0008;
const T0 = Date.UTC(2025, 7, 11, 4, 0);

export function benchTicks(count: number, instruments: number): MarketTick[] {
  const { list } = benchUniverse(instruments, 0);
  const market = new SimMarket(list, TICK_SEED, TICK_VOLATILITY);
  return Array.from({ length: count }, (_, i) => market.tick(T0 + i));
}

interface Started {
  readonly pipeline: Pipeline;
  readonly stop: () => Promise<void>;
}

/** An embedded pipeline (in-process bus, no database) with `strategies` strategies over `instruments` instruments. */
async function startPipeline(strategies: number, instruments: number, workers: number): Promise<Started> {
  const { catalogue, instances } = benchUniverse(instruments, strategies);
  const config = benchConfig({ workers });
  const log = rootLogger.child({});
  log.level = 'warn';
  const system = systemFor(config, systemClock, log, (e) => {
    throw e;
  }, new MemoryTransport(config.memoryBus));
  const pipeline = await Pipeline.start({ system, config, catalogue, strategies: instances, workers });
  await pipeline.warmed;
  return {
    pipeline,
    stop: async () => {
      await pipeline.quiet(50);
      pipeline.stop();
      await pipeline.close();
      await system.stop();
    },
  };
}

/** Hands `ticks` to the pipeline as a feed in the process does (5,000 at a time) and waits until all is handled and quiet. */
async function replayInto(p: Pipeline, ticks: readonly MarketTick[]): Promise<void> {
  if (p.shards.length > 0) {
    // Sharded: each worker made its instruments' share of these very ticks beforehand (prepare) and
    // publishes it now, as fast as its actors take it.
    await Promise.all(p.shards.map((s) => s.go()));
  } else {
    const direct = p.direct!;
    for (let i = 0; i < ticks.length; i += 5000) await direct.publish(ticks.slice(i, i + 5000));
  }
  while (p.ticks < ticks.length || !p.idle) await new Promise((r) => setImmediate(r));
}

/** The shards make their share of benchTicks (the same simulator, seed and stamps) and hold it. */
async function prepareShards(p: Pipeline, count: number, instruments: number): Promise<void> {
  if (p.shards.length === 0) return;
  p.simulateLanes(benchUniverse(instruments, 0).list, { seed: TICK_SEED, volatility: TICK_VOLATILITY, base: randomUUID(), source: 'bench' });
  await Promise.all(p.shards.map((s) => s.prepare(0, count, T0, 1000)));
}

function workload(strategies: number, instruments: number, ticks: readonly MarketTick[], workers: number, last?: { signals: number; fills: number }): Workload<Started> {
  return {
    units: ticks.length,
    prepare: async () => {
      const started = await startPipeline(strategies, instruments, workers);
      await prepareShards(started.pipeline, ticks.length, instruments);
      return started;
    },
    run: ({ pipeline }) => replayInto(pipeline, ticks),
    cleanup: async ({ pipeline, stop }) => {
      if (last) [last.signals, last.fills] = [pipeline.stats.signals, pipeline.stats.fills];
      await stop();
    },
  };
}

/**
 * Replay throughput of the whole embedded pipeline (price caches, strategies, risk, paper fills,
 * portfolio) against the same ticks into the price caches alone (0 strategies), rounds alternating in
 * one process: the ratio says what the trading actors cost on top of moving ticks. `--profile pipeline`
 * writes a CPU profile of one more round of the full pipeline.
 */
export async function benchThroughput(count: number, instruments = 500, strategies = 1000): Promise<ThroughputFigures> {
  const ticks = benchTicks(count, instruments);
  const last = { signals: 0, fills: 0 };
  const workers = Number(process.env.BENCH_WORKERS ?? 1);
  const r = await alternate({ cachesOnly: workload(0, instruments, ticks, 1), pipeline: workload(strategies, instruments, ticks, workers, last) });
  await profiled('pipeline', () => round(workload(strategies, instruments, ticks, workers)));
  return { ticks: count, instruments, strategies, cachesOnly: r.cachesOnly, pipeline: r.pipeline, ratioToCachesOnly: ratio(r.pipeline, r.cachesOnly), signals: last.signals, fills: last.fills };
}
