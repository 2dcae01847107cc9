import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { verifyPassword } from './passwords.ts';
import { ApiProblem } from './problem.ts';
import type { TokenPair } from './schemas.ts';
import type { Tokens } from './tokens.ts';
import type { ApiUsers } from './users.ts';

export interface LoginLimits {
  readonly attempts: number;
  readonly attemptsPerAddress: number;
  readonly windowS: number;
}

/** A hash to compare against when the user is unknown, so an unknown name takes as long as a wrong password. */
const DUMMY = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/**
 * Log-in and refresh. Failed attempts are limited per user and address and per address (rate-limiter-
 * flexible's in-memory limiter: fixed windows, a well-kept library rather than another hand-written
 * one); past the limit every attempt gets 429 with Retry-After until the window passes, the right
 * password included. A success clears the user's count.
 */
export class Login {
  private readonly users: ApiUsers;
  private readonly tokens: Tokens;
  private readonly perUser: RateLimiterMemory;
  private readonly perAddress: RateLimiterMemory;

  constructor(users: ApiUsers, tokens: Tokens, limits: LoginLimits) {
    this.users = users;
    this.tokens = tokens;
    this.perUser = new RateLimiterMemory({ points: limits.attempts, duration: limits.windowS, keyPrefix: 'login-user' });
    this.perAddress = new RateLimiterMemory({ points: limits.attemptsPerAddress, duration: limits.windowS, keyPrefix: 'login-address' });
  }

  async logIn(user: string, password: string, address: string): Promise<TokenPair> {
    const key = `${user}|${address}`;
    await this.refuseIfLimited(key, address);
    const hash = this.users.hashes.get(user);
    const ok = await verifyPassword(password, hash ?? DUMMY);
    if (!ok || !hash) {
      await Promise.all([this.perUser.penalty(key, 1), this.perAddress.penalty(address, 1)]);
      throw new ApiProblem('login_failed', 'unknown user or wrong password');
    }
    await this.perUser.delete(key);
    return this.pair(user);
  }

  async refresh(refreshToken: string): Promise<TokenPair> {
    const user = await this.tokens.verify(refreshToken, 'refresh');
    if (!this.users.hashes.has(user)) throw new ApiProblem('token_invalid', `user ${user} may no longer log in`);
    return this.pair(user);
  }

  private async pair(user: string): Promise<TokenPair> {
    const [access, refresh] = await Promise.all([this.tokens.issue(user, 'access'), this.tokens.issue(user, 'refresh')]);
    return { access_token: access.token, refresh_token: refresh.token, token_type: 'Bearer', expires_in: access.expiresIn, user };
  }

  private async refuseIfLimited(key: string, address: string): Promise<void> {
    const [u, a] = await Promise.all([this.perUser.get(key), this.perAddress.get(address)]);
    const over = [u && u.consumedPoints >= this.perUser.points ? u : undefined, a && a.consumedPoints >= this.perAddress.points ? a : undefined].filter((r): r is RateLimiterRes => r !== undefined);
    if (over.length === 0) return;
    const waitS = Math.max(1, Math.ceil(Math.max(...over.map((r) => r.msBeforeNext)) / 1000));
    throw new ApiProblem('too_many_attempts', `too many failed log-ins: try again in ${waitS} s`, { headers: { 'retry-after': String(waitS) } });
  }
}
