import { randomBytes, randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import type { Clock } from '../clock.ts';
import { ApiProblem } from './problem.ts';

/** What a token is for: the API (access), getting a new pair (refresh), opening the dashboard's stream. */
export type TokenUse = 'access' | 'refresh' | 'stream';

const ISSUER = 'alpha-panda';
const AUDIENCE = 'alpha-panda-api';
/** HS256 only: a token with another algorithm (`none` among them) is refused before its signature is looked at. */
const ALGORITHMS = ['HS256'];

export interface TokenLifetimes {
  readonly access: number;
  readonly refresh: number;
  readonly stream: number;
}

/**
 * JWTs with jose, the one JWT library: signed with the deployment's key (API_JWT_SECRET, shared by its
 * instances), checked for algorithm, signature, issuer, audience, expiry (on the injected clock) and use:
 * a refresh token is not an access token, nor the other way round.
 */
export class Tokens {
  private readonly key: Uint8Array;
  private readonly clock: Clock;
  private readonly ttl: TokenLifetimes;
  /** Ids of tokens good once that have been used, with when they expire (s). */
  private readonly used = new Map<string, number>();

  constructor(secret: string, clock: Clock, ttl: TokenLifetimes) {
    this.key = new TextEncoder().encode(secret);
    this.clock = clock;
    this.ttl = ttl;
  }

  /** A key for a process without API_JWT_SECRET: its tokens end with it. */
  static randomSecret(): string {
    return randomBytes(32).toString('base64url');
  }

  async issue(user: string, use: TokenUse): Promise<{ token: string; expiresIn: number }> {
    const now = Math.floor(this.clock.now() / 1000);
    const expiresIn = this.ttl[use];
    const token = await new SignJWT({ use })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + expiresIn)
      .setJti(randomUUID())
      .sign(this.key);
    return { token, expiresIn };
  }

  /** The user a token of this use was issued to; otherwise a 401 problem saying why. */
  async verify(token: string, use: TokenUse): Promise<string> {
    return (await this.claims(token, use)).sub;
  }

  /**
   * Like verify, for a token good once (a stream ticket): its id is remembered until it expires, and
   * a second use is refused. Per process: a ticket is used at the instance that issued it.
   */
  async useOnce(token: string, use: TokenUse): Promise<string> {
    const { sub, jti, exp } = await this.claims(token, use);
    if (!jti) throw new ApiProblem('token_invalid', `this ${use} token has no id, so it cannot be used once`);
    const now = this.clock.now() / 1000;
    for (const [id, until] of this.used) if (until < now) this.used.delete(id);
    if (this.used.has(jti)) throw new ApiProblem('token_invalid', `this ${use} token has been used already: ask for a new one`);
    this.used.set(jti, exp);
    return sub;
  }

  private async claims(token: string, use: TokenUse): Promise<{ sub: string; jti: string | undefined; exp: number }> {
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ALGORITHMS, issuer: ISSUER, audience: AUDIENCE, currentDate: new Date(this.clock.now()), requiredClaims: ['sub', 'exp', 'use'] });
      if (payload.use !== use) throw new ApiProblem('token_invalid', `this is a token for ${String(payload.use)}, not for ${use}`);
      return { sub: payload.sub!, jti: payload.jti, exp: payload.exp! };
    } catch (e) {
      if (e instanceof ApiProblem) throw e;
      if (e instanceof errors.JWTExpired) throw new ApiProblem('token_expired', 'the token has expired: log in again, or refresh it');
      throw new ApiProblem('token_invalid', `the token is not valid: ${e instanceof errors.JOSEError ? e.code : 'unreadable'}`);
    }
  }
}
