import type { Transport } from '../bus/transport.ts';
import { systemClock } from '../clock.ts';
import type { Config } from '../config/schema.ts';
import { allTopics } from '../contracts/topics.ts';
import { TickPublisher } from '../feeds/publisher.ts';
import { replay } from '../feeds/replay.ts';
import { readReplayFile } from '../feeds/replay-file.ts';
import { ConfigError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { InstrumentCatalogue } from '../market/instruments.ts';
import { loadStrategySpecs } from '../strategies/config.ts';
import { StrategyStore } from '../db/strategy-store.ts';
import { Database } from '../db/database.ts';
import { startKiteFeed } from './kite-feed.ts';
import { openKiteSession } from './live.ts';
import { fileSource, type StrategySource } from './strategy-host.ts';
import { StopControl, type StopOptions } from './lifecycle.ts';
import type { FeedChoice } from './run.ts';
import { simulate, tradedBy } from './simulate.ts';
import { systemFor } from './system.ts';

export interface FeedOptions extends StopOptions {
  readonly config: Config;
  readonly feed: Exclude<FeedChoice, { kind: 'none' }>;
  readonly log: Logger;
  readonly transport?: Transport;
  /** Progress lines (stderr), one a second. */
  readonly status?: (line: string) => void;
}

/**
 * A feed on its own: publishes ticks to market.ticks and nothing else, so a deployment runs one feed and
 * as many pipeline instances (`run --feed none`) as it likes in one consumer group. Creates the topics
 * first where the broker supports it. Stops on a signal, its duration, or a broker unreachable for
 * longer than `kafka.unreachableExitMs`.
 */
export async function runFeed(o: FeedOptions): Promise<{ published: number; unconfirmed: number; stoppedBy: string }> {
  const catalogue = InstrumentCatalogue.load(o.config.trading.instrumentsFile);
  const stop = new StopControl(o);
  const system = systemFor(o.config, systemClock, o.log, (e) => stop.fail(e), o.transport);
  const health = system.transport.health;
  stop.watchBroker(health, o.config.kafka.unreachableExitMs, o.config.kafka.brokers);
  const publisher = new TickPublisher(system.producer, systemClock, `feed/${o.feed.kind}`);
  const started = Date.now();
  let unconfirmed = 0;
  let countKite: (() => number) | undefined;
  const published = () => countKite?.() ?? publisher.published;
  if (o.status) {
    stop.every(1000, () => {
      const down = health.downSince === undefined ? '' : ` | broker unreachable for ${Math.round(health.downFor() / 1000)} s: ${(health.lastError ?? '').slice(0, 120)}`;
      o.status!(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] published ${published()} ticks | unconfirmed ${system.producer.backlog}${down}`);
    });
  }
  try {
    await abortable(system.transport.ensureTopics(allTopics()), stop.signal);
    if (!stop.signal.aborted && (o.feed.kind === 'sim' || o.feed.kind === 'kite')) {
      // The deployment's strategies (and Kite session): from its PostgreSQL database when it has one.
      const { database } = o.config;
      if (o.feed.kind === 'kite' && !(database.enabled && database.url)) throw new ConfigError(["feed kite runs beside the pipeline and reads the Kite session and the strategies from the deployment's PostgreSQL database: set DATABASE_URL"]);
      const db = database.enabled && database.url ? await Database.open(database, o.log) : undefined;
      try {
        // The feed may come up before any pipeline instance has made the tables (under the same lock).
        await db?.migrate();
        const source: StrategySource = db ? new StrategyStore(db, catalogue, systemClock) : fileSource(loadStrategySpecs(o.config.trading.strategiesFile, catalogue));
        if (o.feed.kind === 'sim') await simulate(o.config, catalogue, tradedBy(source), publisher, systemClock, stop.signal);
        else {
          const { session, apiKey } = await openKiteSession(o.config, systemClock, o.log, db);
          const feed = startKiteFeed({ system, config: o.config, apiKey, session, wanted: tradedBy(source), log: o.log });
          countKite = feed.published;
          await new Promise((resolve) => stop.signal.addEventListener('abort', resolve, { once: true }));
          feed.stop();
          session.stop();
        }
      } finally {
        await db?.close();
      }
    } else if (!stop.signal.aborted && o.feed.kind === 'replay') {
      const data = readReplayFile(o.feed.file, { catalogue, token: o.feed.token, as: o.feed.as });
      await replay(data.ticks, publisher, o.config.feed.replay, stop.signal);
      if (!stop.signal.aborted) stop.request('replayed');
    }
  } finally {
    stop.dispose();
    unconfirmed = (await system.stop(Math.max(1500, o.config.shutdownTimeoutMs - 2000))).unsent;
  }
  if (stop.fatal) throw stop.fatal;
  return { published: published(), unconfirmed, stoppedBy: stop.reason };
}

/** Waits for `p` unless `signal` ends the wait first (what `p` does after that no longer matters). */
function abortable(p: Promise<unknown>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
    p.then(() => resolve(), reject);
  });
}
