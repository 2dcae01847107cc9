import { createHash, randomBytes } from 'node:crypto';
import { tokenError } from './http.ts';

const REQUEST_TOKEN_TTL_MS = 5 * 60_000;

/** Kite's tokens are 32 alphanumeric characters. */
export function kiteToken(length = 32): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join('');
}

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The login flow's tokens: request tokens (single use, 5 minutes) exchanged for access tokens. */
export class Sessions {
  private readonly apiKey: string;
  private readonly apiSecret: string;
  private readonly requestTokens = new Map<string, number>();
  private readonly accessTokens = new Set<string>();

  constructor(apiKey: string, apiSecret: string) {
    this.apiKey = apiKey;
    this.apiSecret = apiSecret;
  }

  /** A user logged in on Kite: a fresh request token. */
  login(now: number): string {
    const token = kiteToken();
    this.requestTokens.set(token, now + REQUEST_TOKEN_TTL_MS);
    return token;
  }

  /** POST /session/token: a wrong checksum leaves the request token usable; a successful exchange uses it up. */
  exchange(apiKey: string, requestToken: string, checksum: string, now: number): string {
    if (apiKey !== this.apiKey) throw tokenError('Invalid `api_key`.');
    const expires = this.requestTokens.get(requestToken);
    if (expires === undefined || expires <= now) throw tokenError('Token is invalid or has expired.');
    if (checksum !== sha256(apiKey + requestToken + this.apiSecret)) throw tokenError('Invalid `checksum`.');
    this.requestTokens.delete(requestToken);
    const access = kiteToken();
    this.accessTokens.add(access);
    return access;
  }

  valid(apiKey: string, accessToken: string): boolean {
    return apiKey === this.apiKey && this.accessTokens.has(accessToken);
  }

  logout(accessToken: string): void {
    this.accessTokens.delete(accessToken);
  }

  /** As Kite's 06:00 IST expiry, or a master logout, does to every session at once. */
  expireAll(): void {
    this.accessTokens.clear();
  }
}
