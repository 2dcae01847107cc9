import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { Config } from '../config/schema.ts';
import { ConfigError } from '../errors.ts';
import type { TickSink } from '../feeds/publisher.ts';
import { SimMarket } from '../feeds/sim.ts';
import type { InstrumentCatalogue, Instrument } from '../market/instruments.ts';
import type { Pipeline } from './pipeline.ts';
import type { Shards } from './shard/shards.ts';
import type { StrategySource } from './strategy-host.ts';

/** The instruments the active strategies trade, asked again as the simulator runs (strategies change). */
export function tradedBy(source: StrategySource): () => Promise<number[]> {
  return async () => (await source.all()).filter((s) => s.active && !s.removed).flatMap((s) => [...s.instruments]);
}

/**
 * Ticks for the strategies' instruments plus `extraInstruments` more, until aborted: at ticksPerSecond
 * of wall time, or (pace fast) as fast as the pipeline takes them, stamped with a simulated clock that
 * advances 1/ticksPerSecond per tick from now, for `seconds` of simulated market. The strategies'
 * instruments are asked for again every second of market, so a strategy added meanwhile gets its ticks.
 */
export async function simulate(config: Config, catalogue: InstrumentCatalogue, tradedNow: () => Promise<readonly number[]>, publisher: TickSink, clock: Clock, signal: AbortSignal, settle?: () => Promise<void>): Promise<void> {
  const { ticksPerSecond, seed, volatility, pace } = config.feed.sim;
  const chosen = await lanesOf(config, catalogue, tradedNow);
  const market = new SimMarket([...chosen.values()], seed, volatility);
  const refresh = async () => {
    for (const t of await tradedNow().catch(() => [])) {
      const i = catalogue.get(t);
      if (i) market.add(i);
    }
  };
  if (pace === 'fast') {
    const { start, total, step } = fastSteps(config, clock);
    for (let i = 0; i < total && !signal.aborted; ) {
      const n = Math.min(step, total - i);
      await publisher.publish(Array.from({ length: n }, (_, k) => market.tick(start + Math.floor(((i + k) * 1000) / ticksPerSecond))), signal);
      i += n;
      if (settle) await settle();
      else await new Promise((r) => setImmediate(r));
      if (i % ticksPerSecond < n) await refresh();
    }
    return;
  }
  const stepMs = 20;
  let owed = 0;
  let refreshed = Date.now();
  while (!signal.aborted) {
    if (Date.now() - refreshed >= 1000) {
      refreshed = Date.now();
      await refresh();
    }
    owed += (ticksPerSecond * stepMs) / 1000;
    const n = Math.floor(owed);
    owed -= n;
    if (n > 0) {
      const now = clock.now();
      await publisher.publish(Array.from({ length: n }, () => market.tick(now)), signal);
    }
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/**
 * The same simulated market, made in the pipeline's shards (worker threads): each makes the ticks of
 * its own instruments and of those its strategies trade, step by step in lockstep (pace fast: a step is
 * handled to the end everywhere, outcomes included, before the next) or in real time. The ticks are
 * the ones `simulate` makes, tick for tick: each instrument has a stream of its own and every tick is
 * placed by its index in the whole market's sequence.
 */
export async function simulateInShards(config: Config, catalogue: InstrumentCatalogue, tradedNow: () => Promise<readonly number[]>, pipeline: Pipeline, shards: Shards, clock: Clock, signal: AbortSignal): Promise<void> {
  const { ticksPerSecond, seed, volatility, pace } = config.feed.sim;
  const chosen = await lanesOf(config, catalogue, tradedNow);
  const lanes = [...chosen.values()];
  const sim = { seed, volatility, base: randomUUID(), source: 'feed/sim' };
  let sent = -1;
  const send = () => {
    if (sent === shards.placements) return;
    sent = shards.placements;
    shards.simulate(lanes, sim);
  };
  const refresh = async () => {
    for (const t of await tradedNow().catch(() => [])) {
      const i = catalogue.get(t);
      if (i && !chosen.has(t)) {
        chosen.set(t, i);
        lanes.push(i);
        sent = -1;
      }
    }
    send();
  };
  send();
  if (pace === 'fast') {
    const { start, total, step } = fastSteps(config, clock);
    for (let i = 0; i < total && !signal.aborted; ) {
      const n = Math.min(step, total - i);
      send();
      await Promise.all(shards.links.map((s) => s.step(i, i + n, start, ticksPerSecond)));
      i += n;
      await pipeline.settled(signal);
      if (i % ticksPerSecond < n) await refresh();
    }
    return;
  }
  for (const s of shards.links) s.run(ticksPerSecond);
  const refreshing = setInterval(() => void refresh(), 1000);
  await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  clearInterval(refreshing);
  for (const s of shards.links) s.halt();
}

/** The simulated instruments: the strategies' own, plus `extraInstruments` more. */
async function lanesOf(config: Config, catalogue: InstrumentCatalogue, tradedNow: () => Promise<readonly number[]>): Promise<Map<number, Instrument>> {
  const { extraInstruments } = config.feed.sim;
  const traded = await tradedNow();
  const chosen = new Map<number, Instrument>();
  for (const t of traded) chosen.set(t, catalogue.require(t, 'simulator'));
  for (const i of catalogue.all()) {
    if (chosen.size >= traded.length + extraInstruments) break;
    if (!chosen.has(i.token) && i.tradable) chosen.set(i.token, i);
  }
  if (chosen.size < new Set(traded).size + extraInstruments) {
    throw new ConfigError([`feed.sim.extraInstruments asks for ${extraInstruments} more instruments but the catalogue has only ${catalogue.all().length}; add rows to ${config.trading.instrumentsFile}`]);
  }
  if (chosen.size === 0) {
    // No strategy yet: simulate the first tradable instrument, so one added later has a market to join.
    const first = catalogue.all().find((i) => i.tradable);
    if (first) chosen.set(first.token, first);
  }
  return chosen;
}

/**
 * A fast simulation's plan: when its market starts, how many ticks in all, and how many a step. Steps of
 * 50 ms of simulated time, each handled to the end (outcomes included) before the next, so the simulated
 * market never runs ahead of what the strategies have heard.
 */
function fastSteps(config: Config, clock: Clock): { start: number; total: number; step: number } {
  const { ticksPerSecond, seconds, startAt } = config.feed.sim;
  return {
    start: startAt === null ? clock.now() : Date.parse(startAt),
    total: seconds === null ? Infinity : Math.round(seconds * ticksPerSecond),
    step: Math.max(1, Math.round(ticksPerSecond / 20)),
  };
}
