import { every, type Clock, type Timer } from '../clock.ts';
import type { BrokerSession, SessionStore } from '../db/session-store.ts';
import { ConfigError, KiteError } from '../errors.ts';
import { keepSecret, type Logger } from '../log.ts';
import { sessionExpiry } from './ist-time.ts';
import { KiteApi, type KiteApiOptions } from './kite-api.ts';
import { kiteGate } from './send-gate.ts';
import type { ZerodhaSettings } from './settings.ts';

export type SessionState = { readonly kind: 'active'; readonly session: BrokerSession } | { readonly kind: 'none'; readonly why: string };

/**
 * The Kite API and the session it runs on, as every process makes them: one rate gate for the API key,
 * and every TokenException ending the session.
 */
export function kiteSession(o: { settings: ZerodhaSettings; apiKey: string; store: SessionStore | undefined; clock: Clock; log: Logger; onUnreadable?: KiteApiOptions['onUnreadable'] }): { api: KiteApi; session: KiteSession } {
  const { settings, apiKey, clock, log } = o;
  const api: KiteApi = new KiteApi({ apiKey, apiUrl: settings.apiUrl, timeoutMs: settings.timeoutMs, gate: kiteGate(clock, settings.limits), onSessionEnded: (e) => session.ended(e), ...(o.onUnreadable ? { onUnreadable: o.onUnreadable } : {}) });
  const session = new KiteSession({ api, apiKey, userId: settings.userId, store: o.store, clock, log, checkMs: settings.sessionCheckMs });
  return { api, session };
}

export interface KiteSessionOptions {
  readonly api: KiteApi;
  readonly apiKey: string;
  /** Whose session: null takes the newest stored for the API key. */
  readonly userId: string | null;
  /** Where sessions survive restarts (sealed); absent: in this process only. */
  readonly store: SessionStore | undefined;
  readonly clock: Clock;
  readonly log: Logger;
  /** Without a session, the store is looked at this often (a `session login` in another process). */
  readonly checkMs: number;
}

/**
 * The Kite session live trading runs on. It ends at 06:00 IST (Kite's daily expiry), on a TokenException
 * from any request (logged out, or logged in elsewhere), or on logout; live orders are then refused with
 * SESSION_EXPIRED while paper trading goes on. A login, here (the redirect endpoint) or in another
 * process (the store), resumes live trading without a restart. The token itself is never logged.
 */
export class KiteSession {
  private state: SessionState = { kind: 'none', why: 'not logged in yet' };
  private readonly o: KiteSessionOptions;
  private expiryTimer: Timer | undefined;
  private checkTimer: Timer | undefined;
  private readonly listeners: Array<(s: SessionState) => void> = [];
  /** Tokens Kite refused: still stored (unexpired by the clock) but never taken again. */
  private readonly refused = new Set<string>();

  constructor(o: KiteSessionOptions) {
    this.o = o;
  }

  get current(): SessionState {
    return this.state;
  }

  /** The access token, while the session lasts. */
  get accessToken(): string | undefined {
    return this.state.kind === 'active' ? this.state.session.accessToken : undefined;
  }

  onChange(fn: (s: SessionState) => void): void {
    this.listeners.push(fn);
  }

  /** Takes a stored session if there is one, and keeps looking while there is none. */
  async start(): Promise<void> {
    await this.lookInStore();
    // Without a session, the store is looked at again (lookInStore does nothing while one is active).
    if (this.o.store) this.checkTimer = every(this.o.clock, this.o.checkMs, () => this.lookInStore());
  }

  /** Exchanges a login's request_token for a session, stores it, and resumes live trading. */
  async login(requestToken: string, apiSecret: string, method = 'login'): Promise<BrokerSession> {
    const s = await this.o.api.generateSession(requestToken, apiSecret);
    // Anyone who can reach the redirect endpoint could hand it a login of their own account.
    if (this.o.userId && s.userId !== this.o.userId) {
      await this.o.api.invalidate(s.accessToken).catch(() => undefined);
      throw new KiteError('TokenException', `logged in as ${s.userId}, but zerodha.userId (KITE_USER_ID) is ${this.o.userId}: refused`, { retriable: false });
    }
    const now = this.o.clock.now();
    const session: BrokerSession = { userId: s.userId, apiKey: this.o.apiKey, accessToken: s.accessToken, expiresAt: new Date(sessionExpiry(s.loginTime ?? now)), loginMethod: method };
    await this.o.store?.save(session);
    this.activate(session);
    return session;
  }

  /** Ends the session at Kite and forgets it. */
  async logout(): Promise<void> {
    const token = this.accessToken;
    const user = this.state.kind === 'active' ? this.state.session.userId : this.o.userId;
    if (token) await this.o.api.invalidate(token);
    if (user) await this.o.store?.remove(user);
    this.end('logged out', false);
  }

  /** A request was refused with a TokenException: the session is over until a new login. */
  ended(error: KiteError): void {
    if (this.state.kind !== 'active') return;
    this.refused.add(this.state.session.accessToken);
    this.end(`Kite refused the session (${error.message})`);
  }

  stop(): void {
    this.expiryTimer?.cancel();
    this.checkTimer?.cancel();
  }

  private activate(session: BrokerSession): void {
    keepSecret(session.accessToken);
    this.o.api.setAccessToken(session.accessToken);
    this.state = { kind: 'active', session };
    this.expiryTimer?.cancel();
    this.expiryTimer = this.o.clock.schedule(session.expiresAt.getTime() - this.o.clock.now(), () => this.end('the daily expiry at 06:00 IST passed'));
    this.o.log.info({ user: session.userId, expiresAt: session.expiresAt.toISOString(), via: session.loginMethod }, 'Kite session active: live trading accepts orders');
    this.emit();
  }

  /** `alarm`: the session ended by itself (expiry, a refused token), not by a logout asked for. */
  private end(why: string, alarm = true): void {
    this.expiryTimer?.cancel();
    this.o.api.setAccessToken(undefined);
    const was = this.state.kind;
    this.state = { kind: 'none', why };
    if (was === 'active') {
      if (alarm) this.o.log.error({ why }, 'KITE SESSION ENDED: live orders now fail with SESSION_EXPIRED (paper trading goes on); log in again to resume: alpha-panda session login');
      else this.o.log.info({ why }, 'Kite session ended');
      this.emit();
    }
  }

  private async lookInStore(): Promise<void> {
    if (!this.o.store || this.state.kind === 'active') return;
    try {
      const s = await this.o.store.load(this.o.userId ? { userId: this.o.userId } : { apiKey: this.o.apiKey });
      if (s && s.apiKey === this.o.apiKey && !this.refused.has(s.accessToken)) this.activate(s);
      else if (this.state.why === 'not logged in yet') this.state = { kind: 'none', why: 'no unexpired session is stored' };
    } catch (e) {
      const why = e instanceof ConfigError ? e.issues.join('; ') : (e as Error).message;
      // Looked at again every checkMs: said once, not every time.
      if (this.state.why !== why) this.o.log.error({ why }, 'the stored Kite session cannot be used');
      this.state = { kind: 'none', why };
    }
  }

  private emit(): void {
    for (const fn of this.listeners) fn(this.state);
  }
}
