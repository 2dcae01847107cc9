import type { Transport } from '../bus/transport.ts';
import { systemClock, type Clock } from '../clock.ts';
import type { Config } from '../config/schema.ts';
import { TickPublisher } from '../feeds/publisher.ts';
import { replay } from '../feeds/replay.ts';
import { readReplayFile, type ReplayData } from '../feeds/replay-file.ts';
import { SimMarket } from '../feeds/sim.ts';
import type { Logger } from '../log.ts';
import { InstrumentCatalogue, type Instrument } from '../market/instruments.ts';
import { loadStrategies } from '../strategies/config.ts';
import { Pipeline, type PipelineOptions } from './pipeline.ts';
import { statusLine, summaryTable } from './report.ts';
import { systemFor } from './system.ts';

export type FeedChoice = { readonly kind: 'sim' } | { readonly kind: 'replay'; readonly file: string; readonly token?: number } | { readonly kind: 'none' };

export interface RunOptions {
  readonly config: Config;
  readonly feed: FeedChoice;
  /** Stop by itself after this many seconds. */
  readonly durationS?: number;
  /** A replay ends the run once the pipeline has finished with its last tick. */
  readonly stopWhenReplayed: boolean;
  /** Print the status line (stderr) every second. */
  readonly status: boolean;
  readonly log: Logger;
  readonly clock?: Clock;
  readonly transport?: Transport;
  /** Live execution clients by namespace (the Zerodha client, when it exists). */
  readonly liveClients?: PipelineOptions['liveClients'];
  /** Lets a caller (Ctrl-C, a test) end the run. */
  readonly signal?: AbortSignal;
  readonly write?: (text: string) => void;
}

export interface RunResult {
  readonly pipeline: Pipeline;
  readonly catalogue: InstrumentCatalogue;
  readonly published: number;
  readonly summary: string;
  readonly replay?: ReplayData;
}

/**
 * Runs the whole system until its duration ends, the replay is done, or it is aborted, then shuts down
 * cleanly (feed stops, the pipeline drains, offsets commit, outputs flush) and returns the summary.
 */
export async function run(o: RunOptions): Promise<RunResult> {
  const { config, log } = o;
  const clock = o.clock ?? systemClock;
  const write = o.write ?? ((t: string) => process.stderr.write(t));
  const catalogue = InstrumentCatalogue.load(config.trading.instrumentsFile);
  const strategies = loadStrategies(config.trading.strategiesFile, catalogue);
  const data = o.feed.kind === 'replay' ? readReplayFile(o.feed.file, { catalogue, token: o.feed.token }) : undefined;
  // Simulated data has no exchange session: the market-hours check is off for it.
  const effective: Config = o.feed.kind === 'sim' ? { ...config, risk: { ...config.risk, marketHours: { ...config.risk.marketHours, enabled: false } } } : config;
  let fatal: Error | undefined;
  const stop = new AbortController();
  const system = systemFor(effective, clock, log, (e) => {
    fatal = e;
    stop.abort();
  }, o.transport);
  const pipeline = await Pipeline.start({ system, config: effective, catalogue, strategies, ...(o.liveClients ? { liveClients: o.liveClients } : {}) }).catch(async (e: unknown) => {
    await system.stop();
    throw e;
  });
  const publisher = new TickPublisher(system.producer, clock, `feed/${o.feed.kind}`);
  o.signal?.addEventListener('abort', () => stop.abort(), { once: true });
  const timers: NodeJS.Timeout[] = [];
  if (o.durationS !== undefined) timers.push(setTimeout(() => stop.abort(), o.durationS * 1000));
  const started = Date.now();
  if (o.status) {
    let lastTicks = 0;
    let lastAt = Date.now();
    const tty = process.stderr.isTTY;
    timers.push(
      setInterval(() => {
        const now = Date.now();
        const rate = ((pipeline.ticks - lastTicks) * 1000) / Math.max(1, now - lastAt);
        [lastTicks, lastAt] = [pipeline.ticks, now];
        write(`${tty ? '\r\x1b[2K' : ''}${statusLine(pipeline, rate, (now - started) / 1000)}${tty ? '' : '\n'}`);
      }, 1000),
    );
  }
  log.info({ strategies: strategies.length, namespaces: pipeline.namespaces, feed: o.feed.kind, bus: config.bus }, 'alpha panda running');
  const quietMs = config.bus === 'kafka' ? Math.max(300, 4 * config.kafka.maxWaitTimeMs) : 200;
  try {
    if (o.feed.kind === 'sim') await simulate(effective, catalogue, strategies.flatMap((s) => [...s.instruments]), publisher, clock, stop.signal);
    else if (o.feed.kind === 'replay') {
      await replay(data!.ticks, publisher, config.feed.replay, () => stop.signal.aborted);
      if (o.stopWhenReplayed && !stop.signal.aborted) {
        await pipeline.quiet(quietMs, 120_000);
        stop.abort();
      }
    }
    await new Promise<void>((resolve) => (stop.signal.aborted ? resolve() : stop.signal.addEventListener('abort', () => resolve(), { once: true })));
  } finally {
    for (const t of timers) clearTimeout(t);
    if (o.status) write(process.stderr.isTTY ? '\n' : '');
    await pipeline.quiet(quietMs, 15_000);
    pipeline.snapshot();
    pipeline.stop();
    await system.stop();
  }
  if (fatal) throw fatal;
  const summary = summaryTable(pipeline, catalogue);
  return { pipeline, catalogue, published: publisher.published, summary, ...(data ? { replay: data } : {}) };
}

/** Ticks at the configured rate for the strategies' instruments plus `extraInstruments` more, until aborted. */
export async function simulate(config: Config, catalogue: InstrumentCatalogue, traded: number[], publisher: TickPublisher, clock: Clock, signal: AbortSignal): Promise<void> {
  const { ticksPerSecond, extraInstruments, seed, volatility } = config.feed.sim;
  const chosen = new Map<number, Instrument>();
  for (const t of traded) chosen.set(t, catalogue.require(t, 'simulator'));
  for (const i of catalogue.all()) {
    if (chosen.size >= traded.length + extraInstruments) break;
    if (!chosen.has(i.token)) chosen.set(i.token, i);
  }
  if (chosen.size < new Set(traded).size + extraInstruments) {
    throw new RangeError(`feed.sim.extraInstruments asks for ${extraInstruments} more instruments but the catalogue has only ${catalogue.all().length}; add rows to ${config.trading.instrumentsFile}`);
  }
  const market = new SimMarket([...chosen.values()], seed, volatility);
  const stepMs = 20;
  let owed = 0;
  while (!signal.aborted) {
    owed += (ticksPerSecond * stepMs) / 1000;
    const n = Math.floor(owed);
    owed -= n;
    if (n > 0) {
      const now = clock.now();
      await publisher.publish(Array.from({ length: n }, () => market.tick(now)));
    }
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
