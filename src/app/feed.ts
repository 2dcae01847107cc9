import type { Transport } from '../bus/transport.ts';
import { systemClock } from '../clock.ts';
import type { Config } from '../config/schema.ts';
import { TickPublisher } from '../feeds/publisher.ts';
import { replay } from '../feeds/replay.ts';
import { readReplayFile } from '../feeds/replay-file.ts';
import type { Logger } from '../log.ts';
import { InstrumentCatalogue } from '../market/instruments.ts';
import { loadStrategies } from '../strategies/config.ts';
import { simulate, type FeedChoice } from './run.ts';
import { systemFor } from './system.ts';

/**
 * A feed on its own: publishes ticks to market.ticks and nothing else, so a deployment runs one feed and
 * as many pipeline instances (`run --feed none`) as it likes in one consumer group.
 */
export async function runFeed(o: { config: Config; feed: Exclude<FeedChoice, { kind: 'none' }>; durationS?: number; log: Logger; signal?: AbortSignal; transport?: Transport }): Promise<number> {
  const catalogue = InstrumentCatalogue.load(o.config.trading.instrumentsFile);
  const stop = new AbortController();
  o.signal?.addEventListener('abort', () => stop.abort(), { once: true });
  const system = systemFor(o.config, systemClock, o.log, () => stop.abort(), o.transport);
  const publisher = new TickPublisher(system.producer, systemClock, `feed/${o.feed.kind}`);
  const timer = o.durationS !== undefined ? setTimeout(() => stop.abort(), o.durationS * 1000) : undefined;
  try {
    if (o.feed.kind === 'sim') {
      const traded = loadStrategies(o.config.trading.strategiesFile, catalogue).flatMap((s) => [...s.instruments]);
      await simulate(o.config, catalogue, traded, publisher, systemClock, stop.signal);
    } else {
      const data = readReplayFile(o.feed.file, { catalogue, token: o.feed.token });
      await replay(data.ticks, publisher, o.config.feed.replay, () => stop.signal.aborted);
    }
  } finally {
    clearTimeout(timer);
    await system.stop();
  }
  return publisher.published;
}
