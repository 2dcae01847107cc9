import type { Transport } from '../bus/transport.ts';
import { systemClock, type Clock } from '../clock.ts';
import type { Config } from '../config/schema.ts';
import { ConfigError, StartAborted } from '../errors.ts';
import { TickPublisher } from '../feeds/publisher.ts';
import { replay } from '../feeds/replay.ts';
import { readReplayFile, type ReplayData } from '../feeds/replay-file.ts';
import type { Logger } from '../log.ts';
import { InstrumentCatalogue } from '../market/instruments.ts';
import { hostname } from 'node:os';
import { loadStrategySpecs } from '../strategies/config.ts';
import { StopControl } from './lifecycle.ts';
import { Persistence } from './persistence.ts';
import { startKiteFeed, type KiteFeedHandle } from './kite-feed.ts';
import { openKiteSession, openZerodha } from './live.ts';
import type { ZerodhaVenue } from './zerodha-venue.ts';
import { Pipeline, type PipelineOptions, type StartupProgress } from './pipeline.ts';
import { simulate, simulateInShards, tradedBy } from './simulate.ts';
import { workersFor } from './shard/workers.ts';
import { fileSource, type StrategySource } from './strategy-host.ts';
import { statusLine, summaryTable, summaryData, type SummaryData } from './report.ts';
import { systemFor } from './system.ts';
import { startHttp, type Http } from './http.ts';
import { pipelineMetrics } from '../telemetry/metrics.ts';
import { apiAuth } from '../api/auth.ts';
import { checkPort } from '../api/server.ts';

export type FeedChoice =
  | { readonly kind: 'sim' }
  | { readonly kind: 'replay'; readonly file: string; readonly token?: number; readonly as?: string }
  | { readonly kind: 'kite' }
  | { readonly kind: 'none' };

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
  /** Live venues by namespace; absent with live trading on: Zerodha, from the configuration. */
  readonly liveVenues?: PipelineOptions['liveVenues'];
  /** Ends the run (Ctrl-C, SIGTERM, a test), at any phase. */
  readonly signal?: AbortSignal;
  /** Told when the run starts stopping, whatever the reason: the CLI's shutdown deadline starts then. */
  readonly onStopping?: (reason: string) => void;
  readonly write?: (text: string) => void;
  /** When the process started: the status clock counts from there. */
  readonly launchedAt?: number;
  /** Told where the API and dashboard listen once they do (with http.port set). */
  readonly onHttp?: (http: { readonly url: string; readonly generated: { readonly user: string; readonly password: string } | undefined }) => void;
}

export interface RunResult {
  /** Undefined when the run was stopped before the pipeline finished starting. */
  readonly pipeline: Pipeline | undefined;
  readonly catalogue: InstrumentCatalogue;
  readonly published: number;
  readonly summary: string | undefined;
  readonly data: SummaryData | undefined;
  readonly replay?: ReplayData;
  /** What ended the run: 'duration', 'replayed', 'SIGINT', 'SIGTERM', 'fatal', ... */
  readonly stoppedBy: string;
  readonly progress: StartupProgress;
}

/**
 * The catalogue, the replay file and (without a database) the strategies file, checked before anything
 * connects: bad input fails fast. With a database the file only seeds an empty one (checked then).
 */
function prepare(o: RunOptions) {
  const { config } = o;
  workersFor(config, o.feed.kind);
  const catalogue = InstrumentCatalogue.load(config.trading.instrumentsFile);
  let file: StrategySource | undefined;
  if (!config.database.enabled) {
    const specs = loadStrategySpecs(config.trading.strategiesFile, catalogue);
    if (!specs.some((s) => s.active)) throw new ConfigError([`${config.trading.strategiesFile}: no enabled strategy: add one under 'strategies:' (see the README, "Writing a strategy")`]);
    file = fileSource(specs);
  }
  const data = o.feed.kind === 'replay' ? readReplayFile(o.feed.file, { catalogue, token: o.feed.token, as: o.feed.as }) : undefined;
  return { catalogue, file, data };
}

/** This instance's name: configured (INSTANCE_ID), or the host's (a container's is stable across restarts). */
export function instanceIdOf(config: Config): string {
  return config.instance.id ?? hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64);
}

/**
 * Runs the whole system until its duration ends, the replay is done, it is stopped (at any phase:
 * while connecting, while consumer groups join, while trading, with the broker gone) or the broker has
 * been unreachable for `kafka.unreachableExitMs`; then shuts down within `shutdownTimeoutMs` (feed
 * stops, the pipeline drains, offsets commit, outputs flush) and returns the summary.
 */
export async function run(o: RunOptions): Promise<RunResult> {
  const { config, log } = o;
  const clock = o.clock ?? systemClock;
  const launched = o.launchedAt ?? Date.now();
  const write = o.write ?? ((t: string) => process.stderr.write(t));
  const { catalogue, file, data } = prepare(o);
  const auth = config.http.port !== null ? await apiAuth(config.http, clock, log) : undefined;
  if (config.http.port !== null) await checkPort(config.http.host, config.http.port);
  const stop = new StopControl(o);
  const instanceId = instanceIdOf(config);
  const system = systemFor(config, clock, log, (e) => stop.fail(e), o.transport);
  const health = system.transport.health;
  stop.watchBroker(health, config.kafka.unreachableExitMs, config.kafka.brokers);
  const progress: StartupProgress = { phase: 'starting', assigned: 0, groups: 0 };
  let pipeline: Pipeline | undefined;
  const publisher = new TickPublisher(system.producer, clock, `feed/${o.feed.kind}`);
  if (o.status) {
    let lastTicks = 0;
    let lastAt = Date.now();
    const tty = process.stderr.isTTY;
    stop.every(1000, () => {
      const now = Date.now();
      const ticks = pipeline?.ticks ?? 0;
      const rate = ((ticks - lastTicks) * 1000) / Math.max(1, now - lastAt);
      [lastTicks, lastAt] = [ticks, now];
      write(`${tty ? '\r\x1b[2K' : ''}${statusLine({ pipeline, progress, health, rate, elapsedS: (now - launched) / 1000, stopping: stop.signal.aborted ? stop.reason : undefined })}${tty ? '' : '\n'}`);
    });
  }
  const quietMs = config.bus === 'kafka' ? Math.max(300, 4 * config.kafka.maxWaitTimeMs) : 200;
  let persistence: Persistence | undefined;
  let zerodha: ZerodhaVenue | undefined;
  let kite: KiteFeedHandle | undefined;
  let stopSession = () => undefined as void;
  let http: Http | undefined;
  try {
    if (config.database.enabled) {
      persistence = await Persistence.open(config, catalogue, clock, log);
      if ((await persistence.strategies.list()).every((s) => !s.active)) log.warn("no active strategy in the database: add one with 'alpha-panda strategies add' (it starts trading without a restart)");
      await persistence.serveControl();
    }
    if (config.trading.liveEnabled && !o.liveVenues && !stop.signal.aborted) zerodha = await openZerodha(config, catalogue, clock, log, persistence?.db);
    const liveVenues = o.liveVenues ?? (zerodha ? { zerodha } : undefined);
    const strategies = persistence?.strategies ?? file!;
    const persisted = persistence ? { store: persistence.chain, leadership: persistence.lease(instanceId, system.producer, (e) => stop.fail(e)) } : {};
    if (auth && !stop.signal.aborted) {
      // Served from before the pipeline starts: /health answers, /ready says what start-up waits for.
      const metrics = pipelineMetrics(system, () => pipeline);
      http = await startHttp({ config, system, pipeline: () => pipeline, progress, catalogue, persistence, instanceId, session: zerodha?.session, auth, metrics: { contentType: metrics.contentType, text: () => metrics.scrape() }, log });
      const login = http.generated ? ` (log in as ${http.generated.user}, password ${http.generated.password}: set API_USERS to choose users)` : '';
      write(`${process.stderr.isTTY ? '\r\x1b[2K' : ''}dashboard and API: ${http.server.url}/${login}\n`);
      log.info({ url: http.server.url }, 'serving the API, the dashboard and /metrics');
      o.onHttp?.({ url: http.server.url, generated: http.generated });
    }
    if (!stop.signal.aborted) {
      pipeline = await Pipeline.start({ system, config, catalogue, strategies, instanceId, ...persisted, progress, signal: stop.signal, feedSource: `feed/${o.feed.kind}`, onFatal: (e) => stop.fail(e), workers: workersFor(config, o.feed.kind), ...(liveVenues ? { liveVenues } : {}) }).catch((e: unknown) => {
        if (e instanceof StartAborted) return undefined;
        throw e;
      });
    }
    if (pipeline && !stop.signal.aborted) {
      log.info({ instance: instanceId, strategies: pipeline.strategyIds.length, chain: pipeline.chain !== undefined, namespaces: pipeline.namespaces, feed: o.feed.kind, bus: config.bus, database: persistence?.db.where ?? null, startupMs: Date.now() - launched }, 'alpha panda running');
      if (o.feed.kind === 'sim') {
        const p = pipeline;
        if (p.shards) await simulateInShards(config, catalogue, tradedBy(strategies), p, p.shards, clock, stop.signal);
        else await simulate(config, catalogue, tradedBy(strategies), p.direct ?? publisher, clock, stop.signal, () => p.settled(stop.signal));
        // A fast simulation of a set length ends like a replay: once the pipeline has finished with it.
        if (config.feed.sim.pace === 'fast' && !stop.signal.aborted) {
          await pipeline.quiet(quietMs, 120_000, stop.signal);
          stop.request('simulated');
        }
      }
      else if (o.feed.kind === 'kite') {
        const venue = zerodha;
        const own = venue ? undefined : await openKiteSession(config, clock, log, persistence?.db);
        const session = venue?.session ?? own!.session;
        kite = startKiteFeed({ system, config, apiKey: config.zerodha.apiKey!, session, wanted: tradedBy(strategies), log, ...(venue ? { onOrderUpdate: (update) => venue.update({ kind: 'update', update, via: 'websocket' }) } : {}) });
        stopSession = () => own?.session.stop();
      }
      else if (o.feed.kind === 'replay') {
        await replay(data!.ticks, pipeline.direct ?? publisher, config.feed.replay, stop.signal);
        if (o.stopWhenReplayed && !stop.signal.aborted) {
          await pipeline.quiet(quietMs, 120_000, stop.signal);
          stop.request('replayed');
        }
      }
    }
    await stop.stopped();
  } finally {
    stop.dispose();
    if (o.status) write(process.stderr.isTTY ? '\n' : '');
    // Done well inside the CLI's deadline (shutdownTimeoutMs), which exits the process regardless.
    const deadline = Date.now() + config.shutdownTimeoutMs - 2000;
    await http?.close();
    if (pipeline) {
      // What is in flight finishes (bounded), so the summary and the commits include it.
      await pipeline.quiet(quietMs, Math.max(0, Math.min(3000, (deadline - Date.now()) / 3)));
      // On a log, what the chain's topics hold now is taken in too, so the last snapshot has every fill there.
      if (!(await pipeline.chainCaughtUp(Math.max(0, Math.min(3000, (deadline - Date.now()) / 3))))) log.warn('stopping before the chain took in all its topics held: the last snapshot misses what it did not take in (the next start applies it)');
      pipeline.snapshot();
      pipeline.stop();
      // The shards stop before the bus: what they still publish goes out first.
      await pipeline.close(Math.max(500, Math.min(3000, deadline - Date.now() - 1500)));
    }
    kite?.stop();
    stopSession();
    zerodha?.stop();
    await system.stop(Math.max(1500, deadline - Date.now()));
    await persistence?.close();
  }
  if (stop.fatal) throw stop.fatal;
  const summary = pipeline ? summaryTable(pipeline, catalogue) : undefined;
  return { pipeline, catalogue, published: publisher.published + (pipeline?.direct?.published ?? 0) + (pipeline?.shards?.ticks ?? 0), summary, data: pipeline ? summaryData(pipeline, catalogue) : undefined, stoppedBy: stop.reason, progress, ...(data ? { replay: data } : {}) };
}
