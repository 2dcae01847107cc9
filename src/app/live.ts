import type { Clock } from '../clock.ts';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/database.ts';
import { sessionKey, sessionsNotStoredBecause, SessionStore } from '../db/session-store.ts';
import { ConfigError } from '../errors.ts';
import type { InstrumentCatalogue } from '../market/instruments.ts';
import { keepSecret, type Logger } from '../log.ts';
import { kiteSession, type KiteSession } from '../zerodha/session.ts';
import { API_SECRET_VAR } from '../zerodha/settings.ts';
import { ZerodhaVenue } from './zerodha-venue.ts';

/** The Kite app's credentials, or a ConfigError naming what is missing. */
export function kiteCredentials(config: Config, env: Record<string, string | undefined> = process.env): { apiKey: string; apiSecret: string } {
  const apiKey = config.zerodha.apiKey;
  const apiSecret = env[API_SECRET_VAR]?.trim();
  const missing: string[] = [];
  if (!apiKey) missing.push('zerodha.apiKey (KITE_API_KEY) is not set: live trading needs your Kite Connect app\'s API key');
  if (!apiSecret) missing.push(`${API_SECRET_VAR} is not set: the app's API secret signs the login exchange and checks postbacks`);
  if (missing.length > 0) throw new ConfigError(missing);
  keepSecret(apiSecret);
  return { apiKey: apiKey!, apiSecret: apiSecret! };
}

/** Where sessions are kept: sealed in the database when BROKER_SESSION_KEY is set, else nowhere (with why). */
export function sessionStoreOf(db: Database | undefined, clock: Clock, env: Record<string, string | undefined> = process.env): { store: SessionStore | undefined; why: string | undefined } {
  const key = sessionKey(env);
  if (!db) return { store: undefined, why: 'the database is switched off: broker sessions are not stored, so every start needs a new Kite login' };
  return key ? { store: new SessionStore(db, key, clock), why: undefined } : { store: undefined, why: sessionsNotStoredBecause(key) };
}

/** A Kite session on its own, for a process that reads market data but places no orders (`feed kite`). */
export async function openKiteSession(config: Config, clock: Clock, log: Logger, db: Database | undefined): Promise<{ session: KiteSession; apiKey: string }> {
  const apiKey = config.zerodha.apiKey;
  if (!apiKey) throw new ConfigError(["zerodha.apiKey (KITE_API_KEY) is not set: Kite's market data needs your Kite Connect app's API key"]);
  const { store, why } = sessionStoreOf(db, clock);
  if (!store) throw new ConfigError([`the Kite feed needs the session a login stored, and ${why}`]);
  const { session } = kiteSession({ settings: config.zerodha, apiKey, store, clock, log: log.child({ component: 'zerodha' }) });
  await session.start();
  return { session, apiKey };
}

/** The Zerodha venue a live run trades through, with its callback endpoints serving. */
export async function openZerodha(config: Config, catalogue: InstrumentCatalogue, clock: Clock, log: Logger, db: Database | undefined): Promise<ZerodhaVenue> {
  const { apiKey, apiSecret } = kiteCredentials(config);
  const { store, why } = sessionStoreOf(db, clock);
  if (why) log.warn(why);
  const venue = new ZerodhaVenue({ config, catalogue, clock, log, apiKey, apiSecret, sessions: store, db });
  await venue.serve();
  return venue;
}
