import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { OrderFilled, RejectionCode, TradingSignal } from '../../src/contracts/events.ts';
import { RiskEngine } from '../../src/risk/engine.ts';
import type { RiskLimits } from '../../src/risk/limits.ts';

const limits: RiskLimits = {
  maxQuantityPerOrder: 1000,
  maxNotionalPerOrder: 500_000,
  maxPositionPerInstrument: 1500,
  maxPositionPerStrategy: 1_000_000,
  maxGrossExposure: 1_500_000,
  ordersPerSecond: 10,
  ordersPerMinute: 400,
  ordersPerDay: 5000,
  dailyLossLimit: 40_000,
  onDailyLoss: 'HALTED',
  marketHours: { enabled: true, open: '09:15', close: '15:30', holidays: ['2025-08-15'] },
  staleAfterMs: 10_000,
};

const T0 = Date.parse('2025-08-11T05:00:00Z'); // 10:30 IST, a Monday
let n = 0;
function signal(o: Partial<TradingSignal> & { at?: number; last?: number } = {}): TradingSignal {
  const at = o.at ?? T0 + n++ * 1000;
  const price = o.last ?? o.price ?? 100;
  return {
    signal_id: randomUUID(),
    strategy_id: 'alpha',
    instrument_token: 1,
    signal_type: 'BUY',
    quantity: 10,
    price,
    timestamp: new Date(at).toISOString(),
    quote: { last_price: price, exchange_timestamp: new Date(at).toISOString() },
    ...o,
  };
}
const fill = (o: Partial<OrderFilled>): OrderFilled => ({ strategy_id: 'alpha', instrument_token: 1, signal_type: 'BUY', quantity: 10, order_id: 'x', execution_mode: 'paper', timestamp: new Date(T0).toISOString(), fill_price: 100, fees: 0, ...o });
const code = (e: RiskEngine, s: TradingSignal): RejectionCode | 'OK' => {
  const v = e.evaluate(s, undefined);
  return v.ok ? 'OK' : v.denial.code;
};

describe('risk checks, each with its reason code', () => {
  it('passes an ordinary signal and names every check it passed', () => {
    const v = new RiskEngine(limits).evaluate(signal(), undefined);
    expect(v.ok && v.checks).toContain('max_notional');
  });

  it('MAX_QUANTITY: more shares than one order may carry', () => {
    expect(code(new RiskEngine(limits), signal({ quantity: 1001 }))).toBe('MAX_QUANTITY');
  });

  it('MAX_NOTIONAL: quantity x price above the per-order limit', () => {
    expect(code(new RiskEngine(limits), signal({ quantity: 600, last: 1000 }))).toBe('MAX_NOTIONAL');
  });

  it('MAX_POSITION_INSTRUMENT: strategies together may not hold more of one instrument', () => {
    const e = new RiskEngine(limits);
    expect(code(e, signal({ quantity: 1000 }))).toBe('OK');
    expect(code(e, signal({ quantity: 600, strategy_id: 'beta' }))).toBe('MAX_POSITION_INSTRUMENT');
    expect(code(e, signal({ quantity: 500, strategy_id: 'beta' }))).toBe('OK');
  });

  it('MAX_POSITION_STRATEGY: one strategy gross notional across its instruments', () => {
    const e = new RiskEngine(limits);
    expect(code(e, signal({ quantity: 1000, last: 450, instrument_token: 1 }))).toBe('OK'); // 4.5 lakh
    expect(code(e, signal({ quantity: 1000, last: 450, instrument_token: 2 }))).toBe('OK'); // 9 lakh
    expect(code(e, signal({ quantity: 300, last: 450, instrument_token: 3 }))).toBe('MAX_POSITION_STRATEGY');
  });

  it('MAX_GROSS_EXPOSURE: everything held, across strategies', () => {
    const e = new RiskEngine(limits);
    for (const [s, t] of [['a', 1], ['b', 2], ['c', 3]] as const) expect(code(e, signal({ strategy_id: s, instrument_token: t, quantity: 1000, last: 450 }))).toBe('OK');
    expect(code(e, signal({ strategy_id: 'd', instrument_token: 4, quantity: 400, last: 450 }))).toBe('MAX_GROSS_EXPOSURE'); // 13.5 + 1.8 lakh > 15
  });

  it('RATE_LIMIT_SECOND, _MINUTE and _DAY follow Kite order limits in event time', () => {
    const e = new RiskEngine({ ...limits, ordersPerMinute: 15, ordersPerDay: 20, maxPositionPerInstrument: 1e6, maxPositionPerStrategy: 1e9, maxGrossExposure: 1e12 });
    const codes = Array.from({ length: 11 }, (_, i) => code(e, signal({ at: T0 + i * 10, quantity: 1 })));
    expect(codes.slice(0, 10).every((c) => c === 'OK')).toBe(true);
    expect(codes[10]).toBe('RATE_LIMIT_SECOND');
    const later = Array.from({ length: 6 }, (_, i) => code(e, signal({ at: T0 + 2000 + i * 1000, quantity: 1 })));
    expect(later).toEqual(['OK', 'OK', 'OK', 'OK', 'OK', 'RATE_LIMIT_MINUTE']);
    const nextMinute = Array.from({ length: 6 }, (_, i) => code(e, signal({ at: T0 + 70_000 + i * 1000, quantity: 1 })));
    expect(nextMinute).toEqual(['OK', 'OK', 'OK', 'OK', 'OK', 'RATE_LIMIT_DAY']);
  });

  it('MARKET_CLOSED: outside 09:15-15:30 IST, on weekends and on listed holidays', () => {
    const e = new RiskEngine(limits);
    expect(code(e, signal({ at: Date.parse('2025-08-11T03:44:00Z') }))).toBe('MARKET_CLOSED'); // 09:14 IST
    expect(code(e, signal({ at: Date.parse('2025-08-11T10:00:00Z') }))).toBe('MARKET_CLOSED'); // 15:30 IST
    expect(code(e, signal({ at: Date.parse('2025-08-16T05:00:00Z') }))).toBe('MARKET_CLOSED'); // Saturday
    expect(code(e, signal({ at: Date.parse('2025-08-15T05:00:00Z') }))).toBe('MARKET_CLOSED'); // holiday
    expect(code(e, signal({ at: Date.parse('2025-08-11T03:45:00Z') }))).toBe('OK'); // 09:15 IST
  });

  it('NO_PRICE without any quote, STALE_PRICE with an old one', () => {
    const e = new RiskEngine(limits);
    const { quote: _q, ...bare } = signal();
    expect(code(e, bare)).toBe('NO_PRICE');
    expect(code(e, signal({ quote: { last_price: 100, exchange_timestamp: new Date(T0 - 60_000).toISOString() }, at: T0 }))).toBe('STALE_PRICE');
  });

  it('DUPLICATE_SIGNAL: the same signal id is judged once', () => {
    const e = new RiskEngine(limits);
    const s = signal();
    expect(code(e, s)).toBe('OK');
    expect(code(e, s)).toBe('DUPLICATE_SIGNAL');
  });

  it('a failed order releases what its validation reserved', () => {
    const e = new RiskEngine(limits);
    expect(code(e, signal({ quantity: 1000 }))).toBe('OK');
    e.onFailed({ strategy_id: 'alpha', instrument_token: 1, signal_type: 'BUY', quantity: 1000, order_id: null, execution_mode: 'paper', timestamp: new Date(T0).toISOString(), price: 100, reason_code: 'NO_PRICE', error_message: 'x' });
    expect(code(e, signal({ quantity: 1000, strategy_id: 'beta' }))).toBe('OK');
  });
});

describe('daily loss limit', () => {
  it('HALTED: once the day loses the limit, nothing new passes, not even a reducing order', () => {
    const e = new RiskEngine(limits);
    expect(code(e, signal({ quantity: 100, last: 1000 }))).toBe('OK');
    expect(e.onFill(fill({ quantity: 100, fill_price: 1000 }))).toBeUndefined();
    // marked at 500: unrealized -50,000 >= 40,000
    expect(code(e, signal({ signal_type: 'SELL', quantity: 50, last: 500 }))).toBe('TRADING_HALTED');
    expect(e.state).toBe('HALTED');
    expect(code(e, signal({ quantity: 1, last: 500 }))).toBe('TRADING_HALTED');
  });

  it('REDUCING: only orders that shrink a position pass', () => {
    const e = new RiskEngine({ ...limits, onDailyLoss: 'REDUCING' });
    expect(code(e, signal({ quantity: 100, last: 1000 }))).toBe('OK');
    e.onFill(fill({ quantity: 100, fill_price: 1000 }));
    expect(code(e, signal({ signal_type: 'SELL', quantity: 50, last: 500 }))).toBe('OK');
    expect(e.state).toBe('REDUCING');
    expect(code(e, signal({ quantity: 10, last: 500 }))).toBe('REDUCE_ONLY');
    expect(code(e, signal({ signal_type: 'SELL', quantity: 60, last: 500 }))).toBe('REDUCE_ONLY'); // would cross to short
    expect(code(e, signal({ signal_type: 'SELL', quantity: 50, last: 500 }))).toBe('OK');
  });

  it('a realized loss with fees counts too, and the next trading day starts ACTIVE again', () => {
    const e = new RiskEngine(limits);
    e.onFill(fill({ quantity: 100, fill_price: 1000 }));
    const change = e.onFill(fill({ signal_type: 'SELL', quantity: 100, fill_price: 601, fees: 100 }));
    expect(change).toEqual({ from: 'ACTIVE', to: 'HALTED', lossPaise: 4_000_000 });
    expect(code(e, signal({ at: Date.parse('2025-08-12T05:00:00Z') }))).toBe('OK');
  });
});
