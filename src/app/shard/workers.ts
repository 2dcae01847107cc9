import { availableParallelism } from 'node:os';
import type { Config } from '../../config/schema.ts';
import { ConfigError } from '../../errors.ts';

/**
 * How many threads the market side runs on, `workers` resolved for a feed. 'auto' is one per core where
 * the shards make their own ticks (the simulator on the in-process bus), else 1: a tick handed to
 * another thread costs more than handling it there (encoding, decoding, a second heap to collect; the
 * benchmark measures it), so on two cores it does not pay. An explicit number shards any feed of the
 * in-process bus. Kafka scales by instances in one consumer group instead.
 */
export function workersFor(config: Config, feed: 'sim' | 'replay' | 'kite' | 'none'): number {
  if (config.workers === 'auto') return config.bus === 'memory' && feed === 'sim' ? Math.max(1, availableParallelism()) : 1;
  if (config.workers > 1 && config.bus !== 'memory') throw kafkaWorkers(config.workers);
  return config.workers;
}

export const kafkaWorkers = (n: number) => new ConfigError([`workers: ${n} shards the embedded pipeline over threads; a Kafka deployment scales by instances in one consumer group (set workers to 1 or auto)`]);
