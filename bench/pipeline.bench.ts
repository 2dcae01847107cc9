import { Pipeline } from '../src/app/pipeline.ts';
import { MemoryTransport } from '../src/bus/memory/memory-transport.ts';
import { systemClock } from '../src/clock.ts';
import { TickPublisher } from '../src/feeds/publisher.ts';
import { SimMarket } from '../src/feeds/sim.ts';
import type { MarketTick } from '../src/contracts/events.ts';
import { rootLogger } from '../src/log.ts';
import { systemFor } from '../src/app/system.ts';
import { benchConfig, benchUniverse } from './universe.ts';

export interface ThroughputFigures {
  readonly ticks: number;
  readonly instruments: number;
  readonly strategies: number;
  readonly busOnlyTicksPerSec: number;
  readonly pipelineTicksPerSec: number;
  readonly ratioToBusOnly: number;
  readonly signals: number;
  readonly fills: number;
}

function ticksFor(count: number, instruments: number): MarketTick[] {
  const { list } = benchUniverse(instruments, 0);
  const market = new SimMarket(list, 'bench-ticks', 0.0008);
  const t0 = Date.UTC(2025, 7, 11, 4, 0);
  return Array.from({ length: count }, (_, i) => market.tick(t0 + i));
}

/** Publishes `ticks` as fast as the pipeline takes them; the clock runs until every tick is taken and all is quiet. */
async function replayInto(strategies: number, instruments: number, ticks: readonly MarketTick[]): Promise<{ secs: number; signals: number; fills: number }> {
  const { catalogue, instances } = benchUniverse(instruments, strategies);
  const config = benchConfig();
  const system = systemFor(config, systemClock, rootLogger, (e) => {
    throw e;
  }, new MemoryTransport(config.memoryBus));
  const pipeline = await Pipeline.start({ system, config, catalogue, strategies: instances });
  const publisher = new TickPublisher(system.producer, systemClock, 'bench');
  const start = process.hrtime.bigint();
  for (let i = 0; i < ticks.length; i += 5000) await publisher.publish(ticks.slice(i, i + 5000));
  while (pipeline.ticks < ticks.length || !pipeline.idle) await new Promise((r) => setImmediate(r));
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  await pipeline.quiet(100);
  pipeline.stop();
  await system.stop();
  return { secs, signals: pipeline.stats.signals, fills: pipeline.stats.fills };
}

/**
 * Replay throughput of the whole embedded pipeline (price caches, strategies, risk, paper fills,
 * portfolio) against the same ticks through the same bus into price caches alone (0 strategies), in the
 * same run: the ratio says what the trading actors cost on top of moving ticks.
 */
export async function benchThroughput(count: number, instruments = 500, strategies = 1000): Promise<ThroughputFigures> {
  const ticks = ticksFor(count, instruments);
  let bus = Infinity;
  let full = Infinity;
  let last = { signals: 0, fills: 0 };
  for (let round = 0; round < 2; round++) {
    bus = Math.min(bus, (await replayInto(0, instruments, ticks)).secs);
    const r = await replayInto(strategies, instruments, ticks);
    full = Math.min(full, r.secs);
    last = r;
  }
  return {
    ticks: count,
    instruments,
    strategies,
    busOnlyTicksPerSec: Math.round(count / bus),
    pipelineTicksPerSec: Math.round(count / full),
    ratioToBusOnly: +(bus / full).toFixed(3),
    signals: last.signals,
    fills: last.fills,
  };
}
