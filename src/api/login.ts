import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from '../log.ts';
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
/** Password checks running at once, at most. */
const MAX_CHECKS = 4;

const DUMMY = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/**
 * Log-in and refresh. Attempts are limited per user and address and per address (rate-limiter-
 * flexible's in-memory limiter: fixed windows, a well-kept library rather than another hand-written
 * one); past the limit every attempt gets 429 with Retry-After until the window passes, the right
 * password included. A success clears the user's count and gives the address its point back.
 */
export class Login {
  private readonly users: ApiUsers;
  private readonly tokens: Tokens;
  private readonly perUser: RateLimiterMemory;
  private readonly perAddress: RateLimiterMemory;
  private readonly log: Logger;
  private checking = 0;

  constructor(users: ApiUsers, tokens: Tokens, limits: LoginLimits, log: Logger) {
    this.users = users;
    this.tokens = tokens;
    this.log = log;
    this.perUser = new RateLimiterMemory({ points: limits.attempts, duration: limits.windowS, keyPrefix: 'login-user' });
    this.perAddress = new RateLimiterMemory({ points: limits.attemptsPerAddress, duration: limits.windowS, keyPrefix: 'login-address' });
  }

  async logIn(user: string, password: string, address: string): Promise<TokenPair> {
    const key = `${user}|${address}`;
    // Each attempt is counted before its password is checked, so a burst in parallel cannot slip past
    // the limit while its hashes run; a success gives its points back. At most MAX_CHECKS hashes run at
    // once (each holds one of libuv's four threads for ~50 ms): past that the attempt is refused too.
    await this.take(key, address);
    if (this.checking >= MAX_CHECKS) throw new ApiProblem('too_many_attempts', 'too many log-ins at once: try again in a second', { headers: { 'retry-after': '1' } });
    this.checking++;
    let ok: boolean;
    const hash = this.users.hashes.get(user);
    try {
      ok = await verifyPassword(password, hash ?? DUMMY);
    } finally {
      this.checking--;
    }
    if (!ok || !hash) {
      this.log.warn({ user, address }, 'API log-in refused: unknown user or wrong password');
      throw new ApiProblem('login_failed', 'unknown user or wrong password');
    }
    await Promise.all([this.perUser.delete(key), this.perAddress.reward(address, 1)]);
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

  private async take(key: string, address: string): Promise<void> {
    const [u, a] = await Promise.allSettled([this.perUser.consume(key), this.perAddress.consume(address)]);
    const over = [u, a].flatMap((r) => (r.status === 'rejected' && r.reason instanceof RateLimiterRes ? [r.reason] : []));
    const failed = [u, a].find((r) => r.status === 'rejected' && !(r.reason instanceof RateLimiterRes));
    if (failed?.status === 'rejected') throw failed.reason;
    if (over.length === 0) return;
    const waitS = Math.max(1, Math.ceil(Math.max(...over.map((r) => r.msBeforeNext)) / 1000));
    throw new ApiProblem('too_many_attempts', `too many failed log-ins: try again in ${waitS} s`, { headers: { 'retry-after': String(waitS) } });
  }
}
