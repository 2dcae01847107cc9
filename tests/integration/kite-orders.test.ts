import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { TradingSignal } from '../../src/contracts/events.ts';
import { orderTag } from '../../src/execution/order-tag.ts';
import { rootLogger } from '../../src/log.ts';
import { InstrumentCatalogue } from '../../src/market/instruments.ts';
import { KiteApi } from '../../src/zerodha/kite-api.ts';
import { kiteGate } from '../../src/zerodha/send-gate.ts';
import { LiveOrders } from '../../src/zerodha/live-orders.ts';
import { KiteSession } from '../../src/zerodha/session.ts';
import { ZerodhaClient } from '../../src/zerodha/zerodha-client.ts';
import { KiteServer } from '../kite/server.ts';
import { INFY } from '../support/live.ts';

/** The Zerodha execution client against the local Kite server, through the real kiteconnect client. */
const log = rootLogger.child({ test: 'kite-orders' });
log.level = 'error';
const servers: KiteServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function client(server: KiteServer) {
  const { zerodha } = loadConfig({});
  const api: KiteApi = new KiteApi({ apiKey: server.apiKey, apiUrl: server.url, timeoutMs: 2000, gate: kiteGate(systemClock, zerodha.limits), onSessionEnded: (e) => session.ended(e) });
  const session = new KiteSession({ api, apiKey: server.apiKey, userId: null, store: undefined, clock: systemClock, log, checkMs: 1000 });
  await session.login(server.login(), server.apiSecret);
  const orders = new LiveOrders();
  const catalogue = InstrumentCatalogue.load('config/instruments.csv');
  return { session, orders, c: new ZerodhaClient({ api, session, orders, catalogue, clock: systemClock, log, attempts: 4, settleMs: 300, maxSignalAgeMs: 60_000 }) };
}

const signal = (quantity = 1): TradingSignal => ({ signal_id: randomUUID(), strategy_id: 'burst', instrument_token: INFY, signal_type: 'BUY', quantity, price: 1430, timestamp: new Date().toISOString() });

/** The most of `times` inside any window of `ms`. */
function busiest(times: readonly number[], ms: number): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[i]! - t[j]! >= ms) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe('live orders at Kite', () => {
  it("a 10x burst never exceeds Kite's rates at the server, and 429s and dropped answers are retried without a second order", async () => {
    const server = await KiteServer.start({ fillDelayMs: 10 });
    servers.push(server);
    const { c } = await client(server);
    // Kite refuses three requests and drops the answer to two accepted orders on the way.
    server.faults.next429(3);
    server.faults.acceptThenDrop(2);
    const signals = Array.from({ length: 100 }, () => signal());
    const started = Date.now();
    const results = await Promise.all(signals.map((s) => c.execute({ signal: s, quantity: 1, quote: undefined })));
    const ms = Date.now() - started;
    expect(results.filter((r) => r.kind !== 'placed')).toEqual([]);
    // One order per signal, each with its signal's tag: the two unanswered ones were found, not placed again.
    expect(server.placements).toHaveLength(100);
    expect(new Set(server.placements.map((p) => p.tag))).toEqual(new Set(signals.map((s) => orderTag(s.signal_id))));
    expect(busiest(server.placements.map((p) => p.at), 1000)).toBeLessThanOrEqual(10);
    expect(busiest(server.requests.map((q) => q.at), 1000)).toBeLessThanOrEqual(10);
    // The only 429s were the three injected: the gate itself never let Kite refuse one.
    expect(server.requests.filter((q) => q.status === 429).length, 'the gate let Kite refuse a request').toBe(3);
    // A hundred orders at ten a second take about ten seconds; they were queued, not refused.
    expect(ms).toBeGreaterThan(9000);
  }, 60_000);

  it('fails orders with the reason when Kite refuses them, and with SESSION_EXPIRED once the token is refused', async () => {
    const server = await KiteServer.start();
    servers.push(server);
    const { c, session } = await client(server);
    const bad = await c.execute({ signal: signal(0.5 as unknown as number), quantity: 0, quote: undefined });
    expect(bad).toMatchObject({ kind: 'failed', code: 'BROKER_REJECTED' });
    server.faults.expireSessions();
    const expired = await c.execute({ signal: signal(), quantity: 1, quote: undefined });
    expect(expired).toMatchObject({ kind: 'failed', code: 'SESSION_EXPIRED' });
    expect(session.current.kind).toBe('none');
    expect(await c.execute({ signal: signal(), quantity: 1, quote: undefined })).toMatchObject({ kind: 'failed', code: 'SESSION_EXPIRED' });
    await session.login(server.login(), server.apiSecret);
    expect(await c.execute({ signal: signal(), quantity: 1, quote: undefined })).toMatchObject({ kind: 'placed' });
    // A signal from before a long stall (or yesterday's, redelivered) is not sent as a market order.
    const old = { ...signal(), timestamp: new Date(Date.now() - 120_000).toISOString() };
    expect(await c.execute({ signal: old, quantity: 1, quote: undefined })).toMatchObject({ kind: 'failed', code: 'STALE_SIGNAL' });
    expect(server.placements).toHaveLength(1);
  }, 30_000);

  it("refuses a login of another account than zerodha.userId's", async () => {
    const server = await KiteServer.start();
    servers.push(server);
    const api = new KiteApi({ apiKey: server.apiKey, apiUrl: server.url, timeoutMs: 2000, gate: kiteGate(systemClock, loadConfig({}).zerodha.limits) });
    const session = new KiteSession({ api, apiKey: server.apiKey, userId: 'ZZ9999', store: undefined, clock: systemClock, log, checkMs: 1000 });
    await expect(session.login(server.login(), server.apiSecret)).rejects.toThrow(/logged in as AB1234, but zerodha.userId .* is ZZ9999/);
    expect(session.current.kind).toBe('none');
  });
});
