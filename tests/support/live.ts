import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { Config } from '../../src/config/schema.ts';
import { createEvent } from '../../src/contracts/envelope.ts';
import { EventRecord } from '../../src/contracts/event-record.ts';
import type { MarketTick } from '../../src/contracts/events.ts';
import { MARKET_TICKS } from '../../src/contracts/topics.ts';
import type { Transport } from '../../src/bus/transport.ts';
import type { KiteServer } from '../kite/server.ts';
import { testConfig } from './pipeline.ts';

export const LIVE_STRATEGIES = 'tests/fixtures/live-strategies.yaml';
/** INFY, which both fixture strategies trade (one of them live). */
export const INFY = 408065;
export const SESSION_KEY = randomBytes(32).toString('hex');

/** A port nothing listens on now. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Live trading against the local Kite server: the settings a user would give, pointed at it. */
export function liveSettings(server: KiteServer, callbackPort: number, zerodha: Record<string, unknown> = {}) {
  return { apiKey: server.apiKey, apiUrl: server.url, tickerUrl: server.wsUrl, callbackPort, sessionCheckMs: 200, divergenceMs: 300, ...zerodha };
}

/** The test configuration for a live run: market hours and square-off off (the server's clock is today's). */
export function liveConfig(server: KiteServer, callbackPort: number, o: { zerodha?: Record<string, unknown>; database?: Record<string, unknown> } = {}): Config {
  return testConfig({
    trading: { liveEnabled: true, strategiesFile: LIVE_STRATEGIES, squareOffAt: null },
    risk: { marketHours: { enabled: false, open: '09:15', close: '15:30', holidays: [] } },
    database: { enabled: true, dir: 'memory://', ...o.database },
    zerodha: liveSettings(server, callbackPort, o.zerodha),
  });
}

/** The same as environment variables, for the CLI. */
export function liveEnv(server: KiteServer, callbackPort: number, dir: string): Record<string, string> {
  return {
    KITE_API_KEY: server.apiKey,
    KITE_API_SECRET: server.apiSecret,
    KITE_CALLBACK_PORT: String(callbackPort),
    BROKER_SESSION_KEY: SESSION_KEY,
    ALPHA_PANDA_ZERODHA__API_URL: server.url,
    ALPHA_PANDA_ZERODHA__TICKER_URL: server.wsUrl,
    ALPHA_PANDA_ZERODHA__POLL_MS: '300',
    ALPHA_PANDA_TRADING__LIVE_ENABLED: 'true',
    ALPHA_PANDA_TRADING__SQUARE_OFF_AT: 'null',
    ALPHA_PANDA_RISK__MARKET_HOURS__ENABLED: 'false',
    ALPHA_PANDA_DATABASE__ENABLED: 'true',
    DATABASE_DIR: dir,
    LOG_LEVEL: 'info',
  };
}

/** The user's browser coming back from Kite's login page to the run's redirect endpoint. */
export async function loginThroughRedirect(server: KiteServer, callbackPort: number): Promise<Response> {
  return fetch(`http://127.0.0.1:${callbackPort}/kite/login?action=login&status=success&request_token=${server.login()}`);
}

/** A market that rises then falls, step by step: momentum strategies buy, then sell. */
export function swing(start: number, steps: number, pct = 0.002): number[] {
  const out: number[] = [];
  let p = start;
  for (let i = 0; i < steps; i++) {
    p = Math.round(p * (1 + (Math.floor(i / 6) % 2 === 0 ? pct : -pct)) * 20) / 20;
    out.push(p);
  }
  return out;
}

/** Ticks straight onto market.ticks, as a feed process would publish them (for runs with no Kite socket). */
export async function publishTicks(transport: Transport, token: number, prices: readonly number[], at = Date.now()): Promise<void> {
  const records = prices.map((last_price, i) => {
    const ts = new Date(at + i * 100).toISOString();
    const data: MarketTick = { instrument_token: token, last_price, volume: 1000 + i, exchange_timestamp: ts, timestamp: ts, depth: { buy: [{ price: last_price - 0.05, quantity: 100, orders: 1 }], sell: [{ price: last_price + 0.05, quantity: 100, orders: 1 }] } };
    return new EventRecord(MARKET_TICKS, createEvent({ type: 'market_tick', broker: 'market', source: 'test', key: String(token), data, now: at }), {});
  });
  await transport.send(records);
}
