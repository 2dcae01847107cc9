import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TestClock } from '../../src/clock.ts';
import { createEvent } from '../../src/contracts/envelope.ts';
import { loadConfig } from '../../src/config/load.ts';
import { feeModel, partCharges } from '../../src/execution/fees.ts';
import { isOurTag, orderTag } from '../../src/execution/order-tag.ts';
import { postbackValid } from '../../src/zerodha/callback-server.ts';
import { kiteTime, sessionExpiry } from '../../src/zerodha/ist-time.ts';
import { kiteErrorOf, KiteOrder, KiteTrade } from '../../src/zerodha/kite-api.ts';
import { LiveOrders, progressOf } from '../../src/zerodha/live-orders.ts';
import { reconcile } from '../../src/zerodha/reconcile.ts';
import { SendGate } from '../../src/zerodha/send-gate.ts';

const fixture = (name: string) => JSON.parse(readFileSync(`tests/fixtures/kite/${name}`, 'utf8')) as { data: unknown };

describe("Kite's times", () => {
  it('are IST wall-clock times: 09:15 in Mumbai is 03:45 UTC', () => {
    expect(new Date(kiteTime('2025-08-11 09:15:00')!).toISOString()).toBe('2025-08-11T03:45:00.000Z');
    expect(kiteTime(null)).toBeNull();
    expect(() => kiteTime('11/08/2025')).toThrow(/not a Kite time/);
  });

  it('end a session at 06:00 IST the next morning, or this morning before six', () => {
    expect(new Date(sessionExpiry(Date.parse('2025-08-11T04:00:00Z'))).toISOString()).toBe('2025-08-12T00:30:00.000Z');
    expect(new Date(sessionExpiry(Date.parse('2025-08-11T00:00:00Z'))).toISOString()).toBe('2025-08-11T00:30:00.000Z');
  });

  it("parse Zerodha's sample order book and trades, whatever the process's time zone", () => {
    const orders = KiteOrder.array().parse(fixture('orders.json').data);
    expect(new Date(orders[1]!.order_timestamp!).toISOString()).toBe('2021-05-31T09:50:28.000Z');
    const trades = KiteTrade.array().parse(fixture('trades.json').data);
    expect(trades.every((t) => t.fill_timestamp !== null)).toBe(true);
    // kiteconnect hands some times over as Dates made in the local zone: the wall clock is what counts.
    const asDate = KiteTrade.parse({ ...(fixture('order_trades.json').data as object[])[0], fill_timestamp: new Date(2021, 4, 31, 16, 0, 36) });
    expect(new Date(asDate.fill_timestamp!).toISOString()).toBe('2021-05-31T10:30:36.000Z');
  });
});

describe("Kite's errors", () => {
  it('say whether a retry can help: 429s and network faults yes, refusals and expired tokens no', () => {
    const limited = kiteErrorOf({ error_type: 'NetworkException', message: 'Too Many Requests' });
    expect([limited.retriable, limited.rateLimited]).toEqual([true, true]);
    expect(kiteErrorOf({ error_type: 'NetworkException', message: 'No response from server with error code: ECONNRESET' }).rateLimited).toBe(false);
    expect(kiteErrorOf({ error_type: 'InputException', message: 'Invalid quantity' }).retriable).toBe(false);
    const token = kiteErrorOf({ error_type: 'TokenException', message: 'Incorrect `api_key` or `access_token`.' });
    expect([token.retriable, token.sessionExpired]).toEqual([false, true]);
    expect(kiteErrorOf(new Error('socket hang up')).type).toBe('GeneralException');
  });
});

describe("the gate in front of Kite's API", () => {
  it('never lets more than the limit through in any sliding window, across a window boundary too', async () => {
    const clock = new TestClock(0);
    const gate = new SendGate(clock, { s: { max: 10, ms: 1000 }, m: { max: 15, ms: 60_000 } });
    const sent: number[] = [];
    clock.advance(990);
    const all = Array.from({ length: 20 }, () => gate.acquire(['s', 'm']).then(() => sent.push(clock.now())));
    for (let i = 0; i < 2000 && sent.length < 20; i++) {
      await new Promise((r) => setImmediate(r));
      clock.advance(100);
    }
    await Promise.all(all);
    expect(sent.slice(0, 10).every((t) => t === 990)).toBe(true);
    // A fixed window would let the next ten through at 1000 ms; the sliding one waits for 1990.
    expect(sent[10]).toBeGreaterThanOrEqual(1990);
    // The minute window holds the 16th until a minute after the first.
    expect(sent[15]).toBeGreaterThanOrEqual(60_990);
    for (let i = 10; i < sent.length; i++) expect(sent[i]! - sent[i - 10]!).toBeGreaterThanOrEqual(1000);
  });
});

describe('order tags', () => {
  it('are at most 20 alphanumerics, one per signal, and tell our orders from others', () => {
    const tag = orderTag('0f8fad5b-d9cb-469f-a165-70867728950e');
    expect(tag).toMatch(/^[a-z0-9]{1,20}$/);
    expect(tag).toHaveLength(20);
    expect(isOurTag(tag)).toBe(true);
    expect(isOurTag(null)).toBe(false);
    expect(isOurTag('web')).toBe(false);
  });
});

describe('charges of an order filled in parts', () => {
  it('add up to the whole order exactly: brokerage capped once, STT rounded once', () => {
    const fees = feeModel(loadConfig({}).fees);
    const parts = [3_000_000_00, 2_500_000_00, 1_234_567_89];
    let before = 0;
    const sum = { total: 0, brokerage: 0, stt: 0 };
    for (const p of parts) {
      const c = partCharges(fees, 'SELL', before, p, 'equity_intraday', '2026-12-01')!;
      sum.total += c.total;
      sum.brokerage += c.brokerage;
      sum.stt += c.stt;
      before += p;
    }
    const whole = fees('SELL', before, 'equity_intraday', '2026-12-01')!;
    expect(sum).toEqual({ total: whole.total, brokerage: whole.brokerage, stt: whole.stt });
    expect(whole.brokerage).toBe(2000);
  });
});

const placed = (orderId: string, quantity: number) =>
  createEvent({ type: 'order_placed', broker: 'zerodha', source: 'execution/zerodha', key: 's1', now: 0, data: { strategy_id: 's1', instrument_token: 408065, signal_type: 'BUY', quantity, order_id: orderId, execution_mode: 'zerodha', timestamp: '2025-08-11T04:00:00.000Z', price: 1500, tag: 'ap0123456789abcdef01' } });
const trade = (id: string, orderId: string, quantity: number, at: string) => KiteTrade.parse({ trade_id: id, order_id: orderId, exchange: 'NSE', tradingsymbol: 'INFY', instrument_token: 408065, transaction_type: 'BUY', quantity, average_price: 1500.05, fill_timestamp: at });

describe("a live order's progress", () => {
  it('makes each Kite trade one fill once, and fails only what a cancellation left unfilled', () => {
    const orders = new LiveOrders();
    const o = orders.follow(placed('1001', 10));
    const trades = [trade('t2', '1001', 3, '2025-08-11 09:31:00'), trade('t1', '1001', 4, '2025-08-11 09:30:00')];
    const first = progressOf(o, trades, { status: 'OPEN', filled: 7 });
    expect(first.trades.map((t) => t.trade_id)).toEqual(['t1', 't2']);
    for (const t of first.trades) orders.applied(o, { fillId: t.trade_id, quantity: t.quantity, price: 150005 });
    expect(progressOf(o, trades, { status: 'OPEN', filled: 7 }).trades).toEqual([]);
    // Kite's order book says 9 filled but its trade book shows 7: nothing fails until the trades are all there.
    expect(progressOf(o, trades, { status: 'CANCELLED', message: 'cancelled by the exchange', filled: 9 }).failed).toBeUndefined();
    const cancelled = progressOf(o, trades, { status: 'CANCELLED', message: 'cancelled by the exchange', filled: 7 });
    expect(cancelled.failed).toEqual({ code: 'BROKER_CANCELLED', quantity: 3, message: 'cancelled by the exchange' });
    expect(orders.open()).toHaveLength(1);
  });

  it('ends when the whole quantity has filled, and a rejected order fails whole', () => {
    const orders = new LiveOrders();
    const o = orders.follow(placed('1002', 4));
    orders.applied(o, { fillId: 't1', quantity: 4, price: 150005 });
    expect(o.ended).toBe(true);
    const r = orders.follow(placed('1003', 5));
    expect(progressOf(r, [], { status: 'REJECTED', message: 'RMS: margin exceeds', filled: 0 }).failed).toEqual({ code: 'BROKER_REJECTED', quantity: 5, message: 'RMS: margin exceeds' });
    expect(orders.orderOfTag('ap0123456789abcdef01')).toBeDefined();
  });
});

describe('reconciliation', () => {
  const order = (id: string, tag: string | null, side: 'BUY' | 'SELL', qty: number) => KiteOrder.parse({ order_id: id, status: 'COMPLETE', tag, exchange: 'NSE', tradingsymbol: 'INFY', instrument_token: 408065, transaction_type: side, quantity: qty, filled_quantity: qty, average_price: 1500, order_timestamp: '2025-08-11 09:30:00', exchange_timestamp: null });
  const ours = orderTag('0f8fad5b-d9cb-469f-a165-70867728950e');
  const lost = orderTag('1f8fad5b-d9cb-469f-a165-70867728950e');

  it('reports outside orders, adopts unrecorded ones, counts missed fills, and balances positions', () => {
    const kite = {
      orders: [order('1', ours, 'BUY', 10), order('2', null, 'SELL', 4), order('3', lost, 'BUY', 2)],
      trades: [trade('a', '1', 6, '2025-08-11 09:30:00'), trade('b', '1', 4, '2025-08-11 09:30:01'), { ...trade('c', '2', 4, '2025-08-11 09:31:00'), transaction_type: 'SELL' as const }, trade('d', '3', 2, '2025-08-11 09:32:00')],
      positions: [{ tradingsymbol: 'INFY', exchange: 'NSE', instrument_token: 408065, product: 'MIS', quantity: 8 }],
    };
    const ledger = { placed: [{ orderId: '1', tag: ours }], fills: [{ orderId: '1', fillId: 'a', token: 408065, quantity: 6 }], failedTags: new Set<string>(), awaitingTags: new Set([lost]) };
    expect(reconcile(kite, ledger)).toEqual([
      { kind: 'missing_fills', order_id: '1', trades: 1, quantity: 4 },
      { kind: 'outside_order', order_id: '2', tradingsymbol: 'INFY', transaction_type: 'SELL', quantity: 4, filled: 4, status: 'COMPLETE' },
      { kind: 'unrecorded_order', order_id: '3', tag: lost, awaiting_execution: true },
    ]);
    const off = reconcile({ ...kite, positions: [{ ...kite.positions[0]!, quantity: 9 }] }, ledger);
    expect(off.at(-1)).toEqual({ kind: 'position_mismatch', instrument_token: 408065, tradingsymbol: 'INFY', kite: 9, ledger: 8 });
  });
});

describe('postbacks', () => {
  it("are taken only with Kite's checksum: sha256 of order id, order time and the API secret", () => {
    const body = fixture('postback.json') as unknown as { order_id: string; order_timestamp: string; checksum: string };
    // printf '%s' "2203030003089322022-03-03 09:24:25testsecret" | sha256sum
    const checksum = 'a1edcbdbcb51292cddfded250595d4e191b95da92d9b9914e591383ae4fe6852';
    expect(postbackValid({ ...body, checksum }, 'testsecret')).toBe(true);
    expect(postbackValid({ ...body, checksum }, 'another')).toBe(false);
    expect(postbackValid({ ...body, checksum: 'zz' }, 'testsecret')).toBe(false);
  });
});
