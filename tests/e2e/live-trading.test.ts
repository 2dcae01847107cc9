import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { MemoryTransport } from '../../src/bus/memory/memory-transport.ts';
import { run, type RunResult } from '../../src/app/run.ts';
import type { Config } from '../../src/config/schema.ts';
import type { AnyEnvelope } from '../../src/contracts/envelope.ts';
import { topicsFor, type BrokerNamespace } from '../../src/contracts/topics.ts';
import { Database } from '../../src/db/database.ts';
import { feeModel } from '../../src/execution/fees.ts';
import { isOurTag, orderTag } from '../../src/execution/order-tag.ts';
import { rootLogger } from '../../src/log.ts';
import { toPaise } from '../../src/money.ts';
import { KiteServer } from '../kite/server.ts';
import { makeTransport, recordTopics, waitFor } from '../support/harness.ts';
import { freePort, INFY, liveConfig, loginThroughRedirect, publishTicks, SESSION_KEY, swing } from '../support/live.ts';
import { decodeAll, expectBookMatchesFills, expectChainsIntact, keepOpen } from '../support/pipeline.ts';

/**
 * Live trading end to end against the local Kite server, through the real kiteconnect client and our
 * ticker: a user's run with live trading on, one strategy trusted with it, and Kite's faults.
 */
process.env.BROKER_SESSION_KEY = SESSION_KEY;
const log = rootLogger.child({ test: 'live-trading' });
log.level = process.env.TEST_LOG ?? "warn";
const dirs: string[] = [];
const servers: KiteServer[] = [];
const transports: Array<{ closeNow(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  // Closed once the test has read them: a closed in-process bus lets go of what its groups committed.
  await Promise.all(transports.splice(0).map((t) => t.closeNow()));
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function kite(o: Parameters<typeof KiteServer.start>[0] = {}): Promise<KiteServer> {
  const s = await KiteServer.start(o);
  process.env.KITE_API_SECRET = s.apiSecret;
  servers.push(s);
  return s;
}

interface LiveRun {
  readonly log: MemoryTransport;
  readonly done: Promise<RunResult>;
  events(ns: BrokerNamespace, family?: keyof ReturnType<typeof topicsFor>): AnyEnvelope[];
  stop(): Promise<RunResult>;
}

/** A run in this process on the in-process bus, stopped by the test; everything it publishes is recorded. */
async function start(config: Config, feed: { kind: 'kite' } | { kind: 'none' }): Promise<LiveRun> {
  const memory = makeTransport('memory') as MemoryTransport;
  const transport = keepOpen(memory);
  transports.push(transport);
  // A group that never commits: the in-process bus drops what every group has committed.
  const recorder = await recordTopics(memory, (['paper', 'zerodha'] as const).flatMap((ns) => Object.values(topicsFor(ns))));
  const abort = new AbortController();
  const done = run({ config, feed, stopWhenReplayed: false, status: false, log, transport, signal: abort.signal });
  const events = (ns: BrokerNamespace, family?: keyof ReturnType<typeof topicsFor>) => {
    const topics = new Set(family ? [topicsFor(ns)[family]] : Object.values(topicsFor(ns)));
    return decodeAll(recorder.records.filter((r) => topics.has(r.topic)));
  };
  return {
    log: memory,
    done,
    events,
    stop: async () => {
      abort.abort('test');
      return done;
    },
  };
}

/** Logs in through the run's redirect endpoint, once it is listening. */
async function logIn(server: KiteServer, port: number): Promise<void> {
  await waitFor(async () => (await loginThroughRedirect(server, port).catch(() => undefined))?.status === 200, 'the run to take the login redirect', 20_000);
}

/** Every order at Kite complete, and each of its trades a fill on zerodha.orders.filled. */
const everyTradeRecorded = (server: KiteServer, r: LiveRun) => server.trades().length === byType(r.events('zerodha', 'ordersFilled'), 'order_filled').length && (server.orders() as Array<{ status: string }>).every((o) => o.status === 'COMPLETE');

const byType = <T extends AnyEnvelope['type']>(events: readonly AnyEnvelope[], type: T) => events.filter((e): e is Extract<AnyEnvelope, { type: T }> => e.type === type);

async function ledgerRows(dir: string, ns: BrokerNamespace, kind: string): Promise<Array<{ order_id: string; fill_id: string; fees_paise: string }>> {
  const db = await Database.open({ enabled: true, url: null, dir }, log);
  try {
    return await db.em().execute(`select order_id, fill_id, fees_paise from ledger_entry where namespace = '${ns}' and kind = '${kind}'`);
  } finally {
    await db.close();
  }
}

const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'ap-live-'));
  dirs.push(d);
  return join(d, 'db');
};

describe('live trading on the local Kite server', () => {
  it("sends the live strategy's signals as tagged orders and records each Kite trade once, by postback, beside paper", async () => {
    const port = await freePort();
    const server = await kite({ postbackUrl: `http://127.0.0.1:${port}/kite/postback`, partialFills: 2, fillDelayMs: 30 });
    const dir = tmp();
    // No polling within the test: fills arrive by postback (and the socket's order frames) only.
    const config = liveConfig(server, port, { zerodha: { pollMs: 600_000 }, database: { dir } });
    const r = await start(config, { kind: 'kite' });
    await logIn(server, port);
    const prices = swing(1430, 48);
    for (const [i, p] of prices.entries()) {
      // Halfway, Kite drops every socket: the feed reconnects and subscribes again.
      if (i === 24) server.faults.dropSockets();
      server.setQuote(INFY, { last_price: p });
      await new Promise((res) => setTimeout(res, 40));
    }
    await waitFor(() => server.orders().length >= 2 && everyTradeRecorded(server, r), 'every Kite trade to be recorded', 20_000);
    const result = await r.stop();

    const live = r.events('zerodha');
    const liveSignals = byType(live, 'trading_signal');
    expect(new Set(liveSignals.map((s) => s.data.strategy_id))).toEqual(new Set(['live-infy']));
    // One order per validated live signal, tagged from it; nothing of the paper-only strategy reached Kite.
    const validated = byType(live, 'validated_signal');
    expect(server.placements.map((p) => p.tag).sort()).toEqual(validated.map((v) => orderTag(v.data.original_signal.signal_id)).sort());
    expect(server.placements.every((p) => isOurTag(p.tag))).toBe(true);
    // Kite's limits were kept: it never had to answer 429.
    expect(server.requests.filter((q) => q.status === 429)).toEqual([]);
    // Each Kite trade is one fill (two per order), on its order's chain, and the books add up.
    const fills = byType(live, 'order_filled');
    const trades = server.trades() as Array<{ trade_id: string; order_id: string }>;
    expect(fills.map((f) => f.data.fill_id).sort()).toEqual(trades.map((t) => t.trade_id).sort());
    expect(fills.length).toBe(2 * server.placements.length);
    expect(expectChainsIntact(live).fills).toBe(fills.length);
    expectBookMatchesFills(result.pipeline!.portfolios.get('zerodha')!, live, toPaise(config.trading.initialCapital));
    // Each order's parts are charged exactly what the whole order costs.
    const fees = feeModel(config.fees);
    for (const order of new Set(fills.map((f) => f.data.order_id))) {
      const parts = fills.filter((f) => f.data.order_id === order);
      const turnover = parts.reduce((n, f) => n + toPaise(f.data.fill_price) * f.data.quantity, 0);
      const day = new Date(Date.now() + 330 * 60_000).toISOString().slice(0, 10);
      expect(parts.reduce((n, f) => n + toPaise(f.data.fees), 0)).toBe(fees(parts[0]!.data.signal_type, turnover, 'equity_intraday', day)!.total);
    }
    // Paper traded every signal of both strategies, the live one's too.
    const paper = r.events('paper');
    expect(new Set(byType(paper, 'order_filled').map((f) => f.data.strategy_id))).toEqual(new Set(['live-infy', 'paper-infy']));
    // The ledger holds each fill once, paper and live.
    expect((await ledgerRows(dir, 'zerodha', 'filled')).length).toBe(trades.length);
    expect((await ledgerRows(dir, 'paper', 'filled')).length).toBe(byType(paper, 'order_filled').length);
    // Both chains of a signal ended: its divergence is on the log.
    const divergences = byType(live, 'chain_divergence');
    expect(divergences.length).toBeGreaterThan(0);
    expect(divergences.every((d) => d.data.strategy_id === 'live-infy')).toBe(true);
  }, 60_000);

  it('follows orders by polling when no postback or order frame comes', async () => {
    const port = await freePort();
    const server = await kite({ fillDelayMs: 30 });
    const r = await start(liveConfig(server, port, { zerodha: { pollMs: 200 } }), { kind: 'none' });
    await logIn(server, port);
    await publishTicks(r.log, INFY, swing(1430, 30));
    await waitFor(() => server.trades().length > 0 && everyTradeRecorded(server, r), 'the polled fills', 20_000);
    await r.stop();
    const fills = byType(r.events('zerodha'), 'order_filled');
    expect(new Set(fills.map((f) => f.data.fill_id)).size).toBe(server.trades().length);
  }, 60_000);

  it('fails live orders with SESSION_EXPIRED once Kite refuses the token, goes on with paper, and resumes on a new login', async () => {
    const port = await freePort();
    const server = await kite({ fillDelayMs: 20 });
    const r = await start(liveConfig(server, port, { zerodha: { pollMs: 200 } }), { kind: 'none' });
    await logIn(server, port);
    const prices = swing(1430, 90);
    await publishTicks(r.log, INFY, prices.slice(0, 30));
    await waitFor(() => server.placements.length > 0, 'a live order before the expiry', 20_000);
    const before = server.placements.length;
    server.faults.expireSessions();
    const paperBefore = byType(r.events('paper'), 'order_filled').length;
    await publishTicks(r.log, INFY, prices.slice(30, 60), Date.now() + 10_000);
    await waitFor(() => byType(r.events('zerodha'), 'order_failed').some((f) => f.data.reason_code === 'SESSION_EXPIRED'), 'a SESSION_EXPIRED failure', 20_000);
    await waitFor(() => byType(r.events('paper'), 'order_filled').length > paperBefore, 'paper fills after the expiry', 20_000);
    expect(server.placements.length).toBe(before);
    await logIn(server, port);
    await publishTicks(r.log, INFY, prices.slice(60), Date.now() + 20_000);
    await waitFor(() => server.placements.length > before, 'a live order after the new login', 20_000);
    await r.stop();
    const failed = byType(r.events('zerodha'), 'order_failed').filter((f) => f.data.reason_code === 'SESSION_EXPIRED');
    expect(failed.every((f) => /log in again/.test(f.data.error_message))).toBe(true);
  }, 60_000);

  it('finds an order made outside the system and applies a fill missed while it was down, once', async () => {
    const port = await freePort();
    const server = await kite({ fillDelayMs: 1500 });
    const dir = tmp();
    const config = liveConfig(server, port, { zerodha: { pollMs: 600_000 }, database: { dir } });
    const first = await start(config, { kind: 'none' });
    await logIn(server, port);
    await publishTicks(first.log, INFY, swing(1430, 10));
    await waitFor(() => byType(first.events('zerodha'), 'order_placed').length > 0, 'a live order placed', 20_000);
    await first.stop();
    expect(byType(first.events('zerodha'), 'order_filled')).toHaveLength(0);
    // While the system is down: the order fills at Kite, and the trader buys by hand on Kite's site.
    await waitFor(() => server.trades().length === server.placements.length, 'the fills at Kite', 20_000);
    server.placeOutside({ tradingsymbol: 'INFY', transaction_type: 'BUY', quantity: 3 });
    await waitFor(() => server.trades().length === server.placements.length + 1, 'the outside order to fill', 20_000);

    const second = await start(config, { kind: 'none' });
    await waitFor(() => byType(second.events('zerodha'), 'order_filled').length === server.placements.length, 'the missed fills applied', 20_000);
    await second.stop();
    const report = byType(second.events('zerodha'), 'broker_reconciliation')[0]!;
    const kinds = report.data.findings.map((f) => f.kind).sort();
    expect(kinds).toEqual([...Array<string>(server.placements.length).fill('missing_fills'), 'outside_order'].sort());
    expect((await ledgerRows(dir, 'zerodha', 'filled')).length).toBe(server.placements.length);
  }, 60_000);
});

