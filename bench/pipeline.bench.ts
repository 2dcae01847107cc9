import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Pipeline } from '../src/app/pipeline.ts';
import type { MarketTick } from '../src/contracts/events.ts';
import { SimMarket } from '../src/feeds/sim.ts';
import { alternate, flags, profiled, ratio, round, type Summary, type Workload } from './measure.ts';
import { onTickWorkload } from './strategies.bench.ts';
import { benchConfig, benchUniverse } from './universe.ts';
import { embeddedSystem, quietLog } from './system.ts';

export interface ThroughputFigures {
  readonly ticks: number;
  readonly instruments: number;
  readonly strategies: number;
  readonly workers: number;
  /** The strategies' bare onTick loop over the same ticks: the ceiling any pipeline around them has. */
  readonly onTick: Summary;
  /** The in-process delivery alone: the same ticks into the price caches, no strategy. */
  readonly cachesOnly: Summary;
  /** The whole embedded pipeline in one thread: caches, strategies, risk, paper execution, portfolio. */
  readonly oneWorker: Summary;
  /** The same, the market side sharded over `workers` threads (each makes its share of the same ticks). */
  readonly allWorkers: Summary;
  /** Both again with strategies that never signal: the market side's own capacity, without the signal chain. */
  readonly oneWorkerQuiet: Summary;
  readonly allWorkersQuiet: Summary;
  /** Sharded and quiet, the ticks handed to the workers by the main thread: what any feed but the simulator costs sharded. */
  readonly allWorkersFedQuiet: Summary;
  /** GC share and bytes per tick are the main thread's (a worker's heap is its own). */
  readonly gcAndAllocation: 'main thread';
  /** 2,500 instruments and 5,000 strategies, one thread: against oneWorker, how the pipeline scales with the universe. */
  readonly large: { readonly instruments: number; readonly strategies: number; readonly ticks: number; readonly summary: Summary };
  readonly ratios: { readonly oneWorkerToOnTick: number; readonly allWorkersToOneWorker: number; readonly largeToOneWorker: number; readonly allWorkersQuietToOneWorkerQuiet: number };
  /** Signals and fills of one round of the full pipeline (the same in every round and either way). */
  readonly signals: number;
  readonly fills: number;
  readonly flags: readonly string[];
}

const TICK_SEED = 'bench-ticks';
const TICK_VOLATILITY = 0.0008;
const T0 = Date.UTC(2025, 7, 11, 4, 0);

/** The benchmark's ticks: a seeded walk over `instruments` instruments, depth included, a millisecond apart. */
export function benchTicks(count: number, instruments: number): MarketTick[] {
  const { list } = benchUniverse(instruments, 0);
  const market = new SimMarket(list, TICK_SEED, TICK_VOLATILITY);
  return Array.from({ length: count }, (_, i) => market.tick(T0 + i));
}

interface Started {
  readonly pipeline: Pipeline;
  readonly stop: () => Promise<void>;
  /** Ticks taken before the timed ones (the warm-up's), and the signals and fills they made. */
  readonly before: number;
  readonly counts: { readonly signals: number; readonly fills: number };
}

/** Untimed ticks each round starts with, the millisecond before the timed ones: every thread's code is optimised when the clock starts. */
const WARM_UP = 200_000;
const WARM_SEED = 'bench-warm-up';

interface Setup {
  readonly strategies: number;
  readonly instruments: number;
  readonly workers: number;
  readonly quiet?: boolean;
  /** Sharded, but the ticks handed to the workers by the main thread (as any feed but the simulator's are). */
  readonly fedFromMain?: boolean;
}

/** An embedded pipeline (in-process bus, no database); sharded, each shard makes and holds its share of the ticks. */
async function start(s: Setup, ticks: number): Promise<Started> {
  const { catalogue, instances, list } = benchUniverse(s.instruments, s.strategies, s.quiet);
  const config = benchConfig({ workers: s.workers });
  const system = embeddedSystem(config, quietLog('pipeline'));
  const pipeline = await Pipeline.start({ system, config, catalogue, strategies: instances, workers: s.workers });
  await pipeline.warmed;
  // A worker thread is a fresh V8 isolate whose code starts unoptimised (its first 200,000 ticks ran at
  // under half the speed of the rest, measured): every pipeline, sharded or not, first takes the same
  // untimed ticks of another walk, stamped just before the timed ones.
  const warm = T0 - WARM_UP;
  const shards = s.fedFromMain ? undefined : pipeline.shards;
  if (shards) {
    shards.simulate(list, { seed: WARM_SEED, volatility: TICK_VOLATILITY, base: randomUUID(), source: 'bench' });
    await Promise.all(shards.links.map((shard) => shard.step(0, WARM_UP, warm, 1000)));
    // The shards make their share of benchTicks (the same simulator, seed and stamps) before the clock starts.
    shards.simulate(list, { seed: TICK_SEED, volatility: TICK_VOLATILITY, base: randomUUID(), source: 'bench' });
    await Promise.all(shards.links.map((shard) => shard.prepare(0, ticks, T0, 1000)));
  } else {
    const market = new SimMarket(list, WARM_SEED, TICK_VOLATILITY);
    for (let i = 0; i < WARM_UP; i += 5000) await pipeline.direct!.publish(Array.from({ length: 5000 }, (_, k) => market.tick(warm + i + k)));
  }
  await handled(pipeline, WARM_UP);
  return {
    pipeline,
    before: pipeline.ticks,
    counts: { signals: pipeline.stats.signals, fills: pipeline.stats.fills },
    stop: async () => {
      await pipeline.quiet(50);
      pipeline.stop();
      await pipeline.close();
      await system.stop();
    },
  };
}

/**
 * Until `p` has taken `ticks` in all and handled them, outcomes included. Looked at every millisecond,
 * not every turn: a main thread spinning on setImmediate takes a core from the workers it waits for (it
 * halved the sharded figures on two cores).
 */
async function handled(p: Pipeline, ticks: number): Promise<void> {
  while (p.ticks < ticks || !p.settledNow) await new Promise((r) => setTimeout(r, 1));
}

/** Every tick handed over (5,000 at a time, as a feed in the process does, or by the shards) and all handled, outcomes included. */
async function replay(p: Pipeline, ticks: readonly MarketTick[], before: number, fedFromMain: boolean): Promise<void> {
  if (p.shards && !fedFromMain) await Promise.all(p.shards.links.map((s) => s.go()));
  else for (let i = 0; i < ticks.length; i += 5000) await p.direct!.publish(ticks.slice(i, i + 5000));
  await handled(p, before + ticks.length);
}

function workload(s: Setup, ticks: readonly MarketTick[], last?: { signals: number; fills: number }): Workload<Started> {
  return {
    units: ticks.length,
    prepare: () => start(s, ticks.length),
    run: ({ pipeline, before }) => replay(pipeline, ticks, before, s.fedFromMain === true),
    cleanup: async ({ pipeline, stop, counts: before }) => {
      if (last) [last.signals, last.fills] = [pipeline.stats.signals - before.signals, pipeline.stats.fills - before.fills];
      await stop();
    },
  };
}

/**
 * The embedded pipeline's throughput, 1,000 strategies over 500 instruments: in one thread and sharded
 * over one worker per core, against the strategies' bare onTick loop over the same ticks and the
 * in-process delivery alone, and again with strategies that never signal (what the signal chain costs);
 * then 2,500 instruments and 5,000 strategies. Rounds alternate in one process (measure.ts).
 * `--profile pipeline` writes a CPU profile of one more round of the one-thread pipeline.
 */
export async function benchThroughput(count: number, instruments = 500, strategies = 1000): Promise<ThroughputFigures> {
  const workers = Math.max(2, availableParallelism());
  const ticks = benchTicks(count, instruments);
  const largeSize = { instruments: instruments * 5, strategies: strategies * 5 };
  const largeTicks = benchTicks(count, largeSize.instruments);
  const last = { signals: 0, fills: 0 };
  const base = { strategies, instruments };
  const r = await alternate({
    onTick: onTickWorkload(ticks, benchUniverse(instruments, strategies).instances),
    cachesOnly: workload({ strategies: 0, instruments, workers: 1 }, ticks),
    oneWorker: workload({ ...base, workers: 1 }, ticks, last),
    allWorkers: workload({ ...base, workers }, ticks),
    oneWorkerQuiet: workload({ ...base, workers: 1, quiet: true }, ticks),
    allWorkersQuiet: workload({ ...base, workers, quiet: true }, ticks),
    allWorkersFedQuiet: workload({ ...base, workers, quiet: true, fedFromMain: true }, ticks),
    large: workload({ ...largeSize, workers: 1 }, largeTicks),
  });
  await profiled('pipeline', () => round(workload({ ...base, workers: 1 }, ticks)));
  return {
    ticks: count,
    instruments,
    strategies,
    workers,
    onTick: r.onTick,
    cachesOnly: r.cachesOnly,
    oneWorker: r.oneWorker,
    allWorkers: r.allWorkers,
    oneWorkerQuiet: r.oneWorkerQuiet,
    allWorkersQuiet: r.allWorkersQuiet,
    allWorkersFedQuiet: r.allWorkersFedQuiet,
    gcAndAllocation: 'main thread',
    large: { ...largeSize, ticks: count, summary: r.large },
    ratios: { oneWorkerToOnTick: ratio(r.oneWorker, r.onTick), allWorkersToOneWorker: ratio(r.allWorkers, r.oneWorker), largeToOneWorker: ratio(r.large, r.oneWorker), allWorkersQuietToOneWorkerQuiet: ratio(r.allWorkersQuiet, r.oneWorkerQuiet) },
    signals: last.signals,
    fills: last.fills,
    flags: flags(),
  };
}

if (import.meta.main) console.log(JSON.stringify(await benchThroughput(Number(process.argv[2] ?? 200_000)), null, 2));
