import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { ConfigError } from '../errors.ts';
import { keepSecret } from '../log.ts';
import type { Database } from './database.ts';
import { BrokerSessionRow } from './entities.ts';

/** The environment variable holding the key broker sessions are sealed with: 32 bytes, base64 or hex. */
export const SESSION_KEY_VAR = 'BROKER_SESSION_KEY';

/** A broker session as the Zerodha client uses it. */
export interface BrokerSession {
  readonly userId: string;
  readonly apiKey: string;
  readonly accessToken: string;
  readonly expiresAt: Date;
  /** How it was obtained: 'login' (the redirect flow), 'token' (given by hand), ... */
  readonly loginMethod: string;
}

/** The key from the environment; undefined when unset (sessions are then not stored), an error when malformed. */
export function sessionKey(env: Record<string, string | undefined> = process.env): Buffer | undefined {
  const raw = env[SESSION_KEY_VAR]?.trim();
  if (!raw) return undefined;
  keepSecret(raw);
  const key = /^[0-9a-f]{64}$/i.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (key.length !== 32) throw new ConfigError([`${SESSION_KEY_VAR}: expected 32 bytes as 64 hex digits or base64 (e.g. openssl rand -base64 32), got ${key.length} bytes`]);
  return key;
}

/** Why sessions are not kept, or undefined when they are. */
export function sessionsNotStoredBecause(key: Buffer | undefined): string | undefined {
  return key ? undefined : `${SESSION_KEY_VAR} is not set: broker sessions are not stored, so every start needs a new Kite login (set it to 32 random bytes, e.g. openssl rand -base64 32)`;
}

/**
 * Broker sessions at rest: the access token sealed with AES-256-GCM (a fresh 12-byte IV each time; the
 * user id and API key bound in as associated data, so a sealed token moved to another row does not
 * open). The key comes from the environment and never reaches the database.
 */
export class SessionStore {
  private readonly db: Database;
  private readonly key: Buffer;
  private readonly clock: Clock;

  constructor(db: Database, key: Buffer, clock: Clock) {
    this.db = db;
    this.key = key;
    this.clock = clock;
  }

  async save(s: BrokerSession): Promise<void> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(`${s.userId}\u0000${s.apiKey}`));
    const sealed = Buffer.concat([iv, cipher.update(s.accessToken, 'utf8'), cipher.final(), cipher.getAuthTag()]).toString('base64');
    await this.db.em().upsert(BrokerSessionRow, { userId: s.userId, apiKey: s.apiKey, accessTokenSealed: sealed, expiresAt: s.expiresAt, loginMethod: s.loginMethod, createdAt: new Date(this.clock.now()) });
  }

  /**
   * The user's session (or, with no user named, the newest for the API key) if one is stored and has not
   * expired; a token that does not open is an error.
   */
  async load(who: { userId: string } | { apiKey: string }): Promise<BrokerSession | undefined> {
    const row = await this.db.em().findOne(BrokerSessionRow, who, { orderBy: { createdAt: 'desc' } });
    if (!row || row.expiresAt.getTime() <= this.clock.now()) return undefined;
    const bytes = Buffer.from(row.accessTokenSealed, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, 12));
    decipher.setAAD(Buffer.from(`${row.userId}\u0000${row.apiKey}`));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    let token: string;
    try {
      token = Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]).toString('utf8');
    } catch {
      throw new ConfigError([`the stored session of ${row.userId} does not open with ${SESSION_KEY_VAR}: the key changed since the login, or the row was altered; log in again (the same key must be set for every command and run)`]);
    }
    return { userId: row.userId, apiKey: row.apiKey, accessToken: token, expiresAt: row.expiresAt, loginMethod: row.loginMethod };
  }

  async remove(userId: string): Promise<void> {
    await this.db.em().nativeDelete(BrokerSessionRow, { userId });
  }
}
