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
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ALGORITHMS, issuer: ISSUER, audience: AUDIENCE, currentDate: new Date(this.clock.now()), requiredClaims: ['sub', 'exp', 'use'] });
      if (payload.use !== use) throw new ApiProblem('token_invalid', `this is a token for ${String(payload.use)}, not for ${use}`);
      return payload.sub!;
    } catch (e) {
      if (e instanceof ApiProblem) throw e;
      if (e instanceof errors.JWTExpired) throw new ApiProblem('token_expired', 'the token has expired: log in again, or refresh it');
      throw new ApiProblem('token_invalid', `the token is not valid: ${e instanceof errors.JOSEError ? e.code : 'unreadable'}`);
    }
  }
}
