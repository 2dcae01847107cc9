import { parentPort, workerData } from 'node:worker_threads';
import { logToFile, rootLogger } from '../../log.ts';
import type { ShardData } from './protocol.ts';
import { Shard } from './shard.ts';

/** A worker thread's entry: one shard of the market side (src/app/shard/shard.ts). */
const data = workerData as ShardData;
const { log: settings } = data.config;
const base = settings.file ? logToFile(settings.file, settings.level) : rootLogger;
base.level = settings.level;
new Shard(parentPort!, data, base.child({ shard: data.index }));
