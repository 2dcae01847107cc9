import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config } from '../config/schema.ts';
import { MARKET_TICKS } from '../contracts/topics.ts';
import { Database } from '../db/database.ts';
import { readLock } from '../db/lock.ts';
import { asError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { transportFor } from './system.ts';

export interface Check {
  readonly what: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** Waits for `p` at most `ms`; past that, it has failed for being too slow (a check, a confirmation). */
export function orTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e)),
    );
  });
}

async function broker(config: Config, log: Logger, timeoutMs: number): Promise<Check> {
  const where = config.kafka.brokers.join(',');
  if (config.bus === 'memory') return { what: 'bus', ok: true, detail: 'in-process (no broker)' };
  const transport = transportFor(config, log);
  try {
    const ends = await orTimeout(transport.endOffsets(MARKET_TICKS), timeoutMs, 'the broker');
    return { what: 'broker', ok: true, detail: `${where}: ${MARKET_TICKS} has ${ends.size} partitions` };
  } catch (e) {
    const last = transport.health.lastError;
    return { what: 'broker', ok: false, detail: `${where}: ${asError(e).message}${last ? ` (last error: ${last})` : ''}` };
  } finally {
    await transport.close().catch(() => undefined);
  }
}

async function database(config: Config, log: Logger, timeoutMs: number): Promise<Check> {
  const settings = config.database;
  if (!settings.enabled) return { what: 'database', ok: true, detail: 'switched off (database.enabled: false)' };
  if (!settings.url && !settings.dir.startsWith('memory://')) {
    // The embedded database is one process's: if a live process holds it, that is the answer.
    const held = readLock(`${resolve(settings.dir)}.lock`);
    if (held) return { what: 'database', ok: true, detail: `embedded in ${settings.dir}, open in process ${held.pid}` };
    if (!existsSync(resolve(settings.dir))) return { what: 'database', ok: false, detail: `no embedded database in ${resolve(settings.dir)} yet (run or migrate makes it)` };
  }
  try {
    const db = await orTimeout(Database.open(settings, log), timeoutMs, 'database');
    try {
      const pending = await db.pending();
      return pending.length === 0 ? { what: 'database', ok: true, detail: `${db.where}: up to date` } : { what: 'database', ok: false, detail: `${db.where}: migrations not applied: ${pending.join(', ')} (alpha-panda migrate)` };
    } finally {
      await db.close();
    }
  } catch (e) {
    return { what: 'database', ok: false, detail: asError(e).message };
  }
}

/**
 * What `alpha-panda health` (the image's HEALTHCHECK) checks: that the broker answers and the database
 * opens with its migrations applied. Each check is bounded in time; none changes anything.
 */
export async function healthChecks(config: Config, log: Logger, timeoutMs = 8000): Promise<Check[]> {
  return Promise.all([broker(config, log, timeoutMs), database(config, log, timeoutMs)]);
}
