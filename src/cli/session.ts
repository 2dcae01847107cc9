import { resolve } from 'node:path';
import type { Command } from 'commander';
import { kiteCredentials, sessionStoreOf } from '../app/live.ts';
import { systemClock } from '../clock.ts';
import type { Config } from '../config/schema.ts';
import { Database } from '../db/database.ts';
import type { BrokerSession } from '../db/session-store.ts';
import { readLock } from '../db/lock.ts';
import { ConfigError, KiteError, LoginRefused, SessionExpired } from '../errors.ts';
import type { Logger } from '../log.ts';
import { startCallbackServer } from '../zerodha/callback-server.ts';
import type { KiteApi } from '../zerodha/kite-api.ts';
import { kiteSession, type KiteSession } from '../zerodha/session.ts';

type Setup = () => { config: Config; log: Logger };

/** The login page of the API key: where the user signs in to Kite (it redirects to the app's URL). */
export function loginUrl(config: Config, apiKey: string): string {
  return `${config.zerodha.loginUrl}?v=3&api_key=${encodeURIComponent(apiKey)}`;
}

/**
 * The session as a one-shot command sees it: the database's sealed store (which a running system reads
 * within zerodha.sessionCheckMs), the Kite API, and no timers left behind.
 */
async function withSession<T>(setup: Setup, fn: (s: KiteSession, ctx: { config: Config; apiKey: string; apiSecret: string; api: KiteApi; log: Logger }) => Promise<T>): Promise<T> {
  const { config, log } = setup();
  const { apiKey, apiSecret } = kiteCredentials(config);
  if (!config.database.enabled) throw new ConfigError(['session: the database is switched off (database.enabled: false), so a session has nowhere to be kept; a run takes its login at its own redirect URL (/kite/login)']);
  if (!config.database.url && !config.database.dir.startsWith('memory://')) {
    const running = readLock(`${resolve(config.database.dir)}.lock`);
    if (running) throw new ConfigError([`the running system (process ${running.pid}) holds the embedded database: log in through it instead, by opening ${loginUrl(config, apiKey)} (Kite redirects to the run's /kite/login on port ${config.zerodha.callbackPort})`]);
  }
  const db = await Database.open(config.database, log);
  try {
    // A login may come before the first run: the tables are made here too.
    await db.migrate();
    const { store, why } = sessionStoreOf(db, systemClock);
    if (!store) throw new ConfigError([why!]);
    const { api, session } = kiteSession({ settings: config.zerodha, apiKey, store, clock: systemClock, log });
    try {
      await session.start();
      return await fn(session, { config, apiKey, apiSecret, api, log });
    } finally {
      session.stop();
    }
  } finally {
    await db.close();
  }
}

/** Waits for Kite's redirect on the callback port and logs in with its request token. */
async function loginByRedirect(session: KiteSession, where: { host: string; port: number }, apiSecret: string, timeoutMs: number, log: Logger, show: () => void): Promise<BrokerSession> {
  const { port } = where;
  let done!: (s: BrokerSession) => void;
  let fail!: (e: unknown) => void;
  const got = new Promise<BrokerSession>((resolve, reject) => ([done, fail] = [resolve, reject]));
  // The browser is told what happened; so is the command, which ends either way.
  const login = async (token: string) => {
    try {
      const s = await session.login(token, apiSecret);
      done(s);
      return `Logged in to Kite as ${s.userId}; the session is stored for alpha-panda until 06:00 IST. This window can be closed.`;
    } catch (e) {
      fail(e);
      throw e;
    }
  };
  const server = await startCallbackServer(where, apiSecret, { login, postback: () => undefined }, log).catch((e: Error) => {
    throw new ConfigError([`cannot take Kite's redirect on port ${port} (${e.message}): pass --request-token, or set KITE_CALLBACK_PORT`]);
  });
  show();
  try {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new ConfigError([`no login reached http://127.0.0.1:${port}/kite/login within ${timeoutMs / 1000} s`])), timeoutMs)));
    try {
      return await Promise.race([got, timeout]);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

/** `alpha-panda session login | status | logout`. The access token is never printed or logged. */
export function addSessionCommand(program: Command, setup: Setup): void {
  const cmd = program.command('session').description('the Kite session live trading runs on: log in, see it, log out (sealed in the database with BROKER_SESSION_KEY)');
  cmd
    .command('login')
    .description("print the Kite login URL, take the redirect's request_token (or --request-token) and store the session; a running system picks it up")
    .option('--request-token <token>', "the request_token from Kite's redirect URL, if you copied it by hand")
    .option('--wait <seconds>', 'how long to wait for the redirect', (v) => Number(v), 300)
    .action(async (o: { requestToken?: string; wait: number }) => {
      await withSession(setup, async (session, { config, apiKey, apiSecret, log }) => {
        const refused = (e: unknown): never => {
          if (!(e instanceof KiteError)) throw e;
          const hint = /checksum/i.test(e.message) ? 'the checksum is made with KITE_API_SECRET: is it the API key\'s secret?' : 'request tokens are single-use and last a few minutes: log in again';
          throw new LoginRefused(`Kite refused the login: ${e.message} (${hint})`);
        };
        const show = () => process.stdout.write(`Open this URL, log in to Kite, and the redirect completes the login:\n  ${loginUrl(config, apiKey)}\n(the API key's redirect URL must be http://127.0.0.1:${config.zerodha.callbackPort}/kite/login)\n`);
        const s = await (o.requestToken ? session.login(o.requestToken, apiSecret, 'request token') : loginByRedirect(session, { host: config.zerodha.callbackHost, port: config.zerodha.callbackPort }, apiSecret, o.wait * 1000, log, show)).catch(refused);
        process.stdout.write(`logged in as ${s.userId}; the session is stored and expires ${s.expiresAt.toISOString()} (06:00 IST)\n`);
      });
    });
  cmd
    .command('status')
    .description('whose session is stored, until when, and whether Kite still takes it')
    .action(async () => {
      await withSession(setup, async (session, { api }) => {
        const s = session.current;
        if (s.kind !== 'active') throw new SessionExpired(s.why);
        const atKite = await api.profile().then(
          () => 'Kite accepts it',
          (e: KiteError) => (e.sessionExpired ? 'Kite REFUSES it (logged out or logged in elsewhere): log in again' : `Kite did not answer: ${e.message}`),
        );
        process.stdout.write(`user ${s.session.userId}, logged in ${s.session.loginMethod === 'login' ? "through Kite's login page" : `by ${s.session.loginMethod}`}, expires ${s.session.expiresAt.toISOString()}; ${atKite}\n`);
      });
    });
  cmd
    .command('logout')
    .description('end the session at Kite and remove it from the database (live orders then fail with SESSION_EXPIRED)')
    .action(async () => {
      await withSession(setup, async (session) => {
        const s = session.current;
        if (s.kind !== 'active') return void process.stdout.write(`no session to log out of: ${s.why}\n`);
        await session.logout();
        process.stdout.write(`logged ${s.session.userId} out of Kite; the stored session is removed\n`);
      });
    });
}
