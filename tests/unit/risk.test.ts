import { EMPTY_HISTORY } from '../../src/db/chain-store.ts';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { OrderFailed, OrderFilled, RejectionCode, TradingSignal } from '../../src/contracts/events.ts';
import { InstrumentCatalogue, type Instrument } from '../../src/market/instruments.ts';
import { RiskEngine } from '../../src/risk/engine.ts';
import type { RiskLimits } from '../../src/risk/limits.ts';

export const limits: RiskLimits = {
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
  leverage: { equity: 1, future: 5 },
  marketHours: { enabled: true, open: '09:15', close: '15:30', holidays: ['2025-08-15'] },
  staleAfterMs: 10_000,
};

const instrument = (token: number, o: Partial<Instrument> = {}): Instrument => ({ token, symbol: `S${token}`, exchange: 'NSE', segment: 'NSE', kind: 'equity', tradable: true, expiry: undefined, tick: 5, lotSize: 1, referencePrice: 10_000, ...o });
const catalogue = new InstrumentCatalogue([
  ...[1, 2, 3, 4].map((t) => instrument(t)),
  instrument(9, { symbol: 'NIFTY 50', segment: 'INDICES', kind: 'index', tradable: false }),
  instrument(75, { symbol: 'NIFTYFUT', segment: 'NFO-FUT', kind: 'future', expiry: '2025-08-28', lotSize: 75 }),
]);
/** A generous account by default, so each test meets only the limit it is about. */
const engine = (l: Partial<RiskLimits> = {}, capitalRupees = 1e9, squareOffAt: string | null = '15:20') =>
  new RiskEngine({ ...limits, ...l }, { instrument: (t) => catalogue.get(t), capital: capitalRupees * 100, squareOffAt });

const T0 = Date.parse('2025-08-11T05:00:00Z'); // 10:30 IST, a Monday
let n = 0;
function signal(o: Partial<TradingSignal> & { at?: number; last?: number } = {}): TradingSignal {
  const { at: when, last, ...rest } = o;
  const at = when ?? T0 + n++ * 1000;
  const price = last ?? o.price ?? 100;
  return {
    signal_id: randomUUID(),
    strategy_id: 'alpha',
    instrument_token: 1,
    signal_type: 'BUY',
    quantity: 10,
    price,
    timestamp: new Date(at).toISOString(),
    quote: { last_price: price, exchange_timestamp: new Date(at).toISOString() },
    ...rest,
  };
}
let orders = 0;
const fill = (o: Partial<OrderFilled>): OrderFilled => ({
  strategy_id: 'alpha',
  instrument_token: 1,
  signal_type: 'BUY',
  quantity: 10,
  order_id: `o-${++orders}`,
  fill_id: '1',
  execution_mode: 'paper',
  timestamp: new Date(T0).toISOString(),
  fill_price: 100,
  fees: 0,
  fee_breakdown: { brokerage: 0, stt: 0, transaction: 0, ipft: 0, sebi: 0, gst: 0, stamp: 0 },
  fee_schedule: 'test',
  ...o,
});
const code = (e: RiskEngine, s: TradingSignal): RejectionCode | 'OK' => {
  const v = e.evaluate(s, undefined);
  return v.ok ? 'OK' : v.denial.code;
};

describe('risk checks, each with its reason code', () => {
  it('passes an ordinary signal and names every check it passed', () => {
    const v = engine().evaluate(signal(), undefined);
    expect(v.ok && v.checks).toContain('buying_power');
  });

  it('MAX_QUANTITY: more shares than one order may carry', () => {
    expect(code(engine(), signal({ quantity: 1001 }))).toBe('MAX_QUANTITY');
  });

  it('MAX_NOTIONAL: quantity x price above the per-order limit', () => {
    expect(code(engine(), signal({ quantity: 600, last: 1000 }))).toBe('MAX_NOTIONAL');
  });

  it('MAX_POSITION_INSTRUMENT: strategies together may not hold more of one instrument', () => {
    const e = engine();
    expect(code(e, signal({ quantity: 1000 }))).toBe('OK');
    expect(code(e, signal({ quantity: 600, strategy_id: 'beta' }))).toBe('MAX_POSITION_INSTRUMENT');
    expect(code(e, signal({ quantity: 500, strategy_id: 'beta' }))).toBe('OK');
  });

  it('MAX_POSITION_STRATEGY: one strategy gross notional across its instruments', () => {
    const e = engine();
    expect(code(e, signal({ quantity: 1000, last: 450, instrument_token: 1 }))).toBe('OK'); // 4.5 lakh
    expect(code(e, signal({ quantity: 1000, last: 450, instrument_token: 2 }))).toBe('OK'); // 9 lakh
    expect(code(e, signal({ quantity: 300, last: 450, instrument_token: 3 }))).toBe('MAX_POSITION_STRATEGY');
  });

  it('MAX_GROSS_EXPOSURE: everything held, across strategies', () => {
    const e = engine();
    for (const [s, t] of [['a', 1], ['b', 2], ['c', 3]] as const) expect(code(e, signal({ strategy_id: s, instrument_token: t, quantity: 1000, last: 450 }))).toBe('OK');
    expect(code(e, signal({ strategy_id: 'd', instrument_token: 4, quantity: 400, last: 450 }))).toBe('MAX_GROSS_EXPOSURE'); // 13.5 + 1.8 lakh > 15
  });

  it('MAX_GROSS_EXPOSURE follows prices: a position marked up later counts at its new price', () => {
    const e = engine();
    expect(code(e, signal({ strategy_id: 'a', instrument_token: 1, quantity: 1000, last: 400, at: T0 }))).toBe('OK'); // 4 lakh
    expect(code(e, signal({ strategy_id: 'b', instrument_token: 2, quantity: 1000, last: 400, at: T0 + 1 }))).toBe('OK'); // 8 lakh
    // Instrument 1 now trades at 900: 9 + 4 = 13 lakh held; 300 more of instrument 3 at 1000 would make 16.
    expect(code(e, signal({ strategy_id: 'c', instrument_token: 1, signal_type: 'SELL', quantity: 1, last: 900, at: T0 + 2 }))).toBe('OK');
    expect(code(e, signal({ strategy_id: 'c', instrument_token: 3, quantity: 300, last: 1000, at: T0 + 3 }))).toBe('MAX_GROSS_EXPOSURE');
  });

  it('RATE_LIMIT_SECOND, _MINUTE and _DAY follow Kite order limits in event time', () => {
    const e = engine({ ordersPerMinute: 15, ordersPerDay: 20, maxPositionPerInstrument: 1e6, maxPositionPerStrategy: 1e9, maxGrossExposure: 1e12 });
    const codes = Array.from({ length: 11 }, (_, i) => code(e, signal({ at: T0 + i * 10, quantity: 1 })));
    expect(codes.slice(0, 10).every((c) => c === 'OK')).toBe(true);
    expect(codes[10]).toBe('RATE_LIMIT_SECOND');
    const later = Array.from({ length: 6 }, (_, i) => code(e, signal({ at: T0 + 2000 + i * 1000, quantity: 1 })));
    expect(later).toEqual(['OK', 'OK', 'OK', 'OK', 'OK', 'RATE_LIMIT_MINUTE']);
    const nextMinute = Array.from({ length: 6 }, (_, i) => code(e, signal({ at: T0 + 70_000 + i * 1000, quantity: 1 })));
    expect(nextMinute).toEqual(['OK', 'OK', 'OK', 'OK', 'OK', 'RATE_LIMIT_DAY']);
  });

  it('MARKET_CLOSED: outside 09:15-15:30 IST, on weekends and on listed holidays; never for simulated prices', () => {
    const e = engine({}, 1e9, null);
    expect(code(e, signal({ at: Date.parse('2025-08-11T03:44:00Z') }))).toBe('MARKET_CLOSED'); // 09:14 IST
    expect(code(e, signal({ at: Date.parse('2025-08-11T10:00:00Z') }))).toBe('MARKET_CLOSED'); // 15:30 IST
    expect(code(e, signal({ at: Date.parse('2025-08-11T03:45:00Z') }))).toBe('OK'); // 09:15 IST
    const sim = (at: number) => signal({ at, quote: { last_price: 100, exchange_timestamp: new Date(at).toISOString(), simulated: true } });
    expect(code(e, sim(Date.parse('2025-08-11T10:00:00Z')))).toBe('OK');
    expect(code(engine(), signal({ at: Date.parse('2025-08-16T05:00:00Z') }))).toBe('MARKET_CLOSED'); // Saturday
    expect(code(engine(), signal({ at: Date.parse('2025-08-15T05:00:00Z') }))).toBe('MARKET_CLOSED'); // holiday
  });

  it('NO_PRICE without any quote, STALE_PRICE with an old one', () => {
    const e = engine();
    const { quote: _q, ...bare } = signal();
    expect(code(e, bare)).toBe('NO_PRICE');
    expect(code(e, signal({ quote: { last_price: 100, exchange_timestamp: new Date(T0 - 60_000).toISOString() }, at: T0 }))).toBe('STALE_PRICE');
  });

  it('DUPLICATE_SIGNAL: the same signal id is judged once', () => {
    const e = engine();
    const s = signal();
    expect(code(e, s)).toBe('OK');
    expect(code(e, s)).toBe('DUPLICATE_SIGNAL');
  });

  it('NOT_TRADABLE for an index or an instrument outside the catalogue; CONTRACT_EXPIRED after expiry; LOT_SIZE for part lots', () => {
    const e = engine();
    expect(code(e, signal({ instrument_token: 9 }))).toBe('NOT_TRADABLE');
    expect(code(e, signal({ instrument_token: 404 }))).toBe('NOT_TRADABLE');
    expect(code(e, signal({ instrument_token: 75, quantity: 70 }))).toBe('LOT_SIZE');
    expect(code(e, signal({ instrument_token: 75, quantity: 75, last: 2000 }))).toBe('OK');
    const after = engine();
    expect(code(after, signal({ instrument_token: 75, quantity: 75, at: Date.parse('2025-08-29T05:00:00Z') }))).toBe('CONTRACT_EXPIRED');
  });

  it('a failed order releases what its validation reserved, once however often the failure is delivered', () => {
    const e = engine();
    expect(code(e, signal({ quantity: 1000 }))).toBe('OK');
    const failed: OrderFailed = { strategy_id: 'alpha', instrument_token: 1, signal_type: 'BUY', quantity: 1000, order_id: null, execution_mode: 'paper', timestamp: new Date(T0).toISOString(), price: 100, reason_code: 'NO_PRICE', error_message: 'x' };
    expect(e.onFailed(failed, 'chain-1')).toBe(true);
    expect(e.onFailed(failed, 'chain-1')).toBe(false);
    expect(code(e, signal({ quantity: 1000, strategy_id: 'beta' }))).toBe('OK');
    expect(code(e, signal({ quantity: 600, strategy_id: 'gamma' }))).toBe('MAX_POSITION_INSTRUMENT');
  });
});

describe('buying power', () => {
  it('INSUFFICIENT_FUNDS: an account cannot hold more than it is worth (MIS leverage 1)', () => {
    const e = engine({ maxNotionalPerOrder: 1e9, maxPositionPerStrategy: 1e9, maxGrossExposure: 1e12, maxPositionPerInstrument: 1e6, maxQuantityPerOrder: 1e6 }, 10_00_000);
    expect(code(e, signal({ quantity: 6000, last: 100 }))).toBe('OK'); // 6 lakh of 10
    expect(code(e, signal({ quantity: 4001, last: 100, instrument_token: 2 }))).toBe('INSUFFICIENT_FUNDS'); // 10,00,100 > 10 lakh
    expect(code(e, signal({ quantity: 4000, last: 100, instrument_token: 2 }))).toBe('OK');
    // Selling what is held needs no margin.
    expect(code(e, signal({ signal_type: 'SELL', quantity: 6000, last: 100 }))).toBe('OK');
  });

  it('a future blocks a fifth of its value at leverage 5, and losses shrink what is left', () => {
    const e = engine({ maxNotionalPerOrder: 1e9, maxPositionPerStrategy: 1e9, maxGrossExposure: 1e12, dailyLossLimit: 1e9 }, 10_00_000);
    // One lot at 24,000 is 18 lakh of contract value and 3.6 lakh of margin.
    expect(code(e, signal({ instrument_token: 75, quantity: 75, last: 24_000, at: T0 }))).toBe('OK');
    e.onFill(fill({ instrument_token: 75, quantity: 75, fill_price: 24_000 }));
    expect(code(e, signal({ instrument_token: 75, quantity: 75, last: 24_000, at: T0 + 1000 }))).toBe('OK'); // 7.2 lakh
    // Marked down 2,000 points: the two lots' margin is 6.6 lakh, the account 10 lakh - 1.5 lakh of loss.
    expect(code(e, signal({ instrument_token: 75, quantity: 75, last: 22_000, at: T0 + 2000 }))).toBe('INSUFFICIENT_FUNDS');
  });
});

describe('daily loss limit', () => {
  it('HALTED: once the day loses the limit, nothing new passes, not even a reducing order', () => {
    const e = engine();
    expect(code(e, signal({ quantity: 100, last: 1000 }))).toBe('OK');
    expect(e.onFill(fill({ quantity: 100, fill_price: 1000 })).changes).toEqual([]);
    // marked at 500: unrealized -50,000 >= 40,000
    expect(code(e, signal({ signal_type: 'SELL', quantity: 50, last: 500 }))).toBe('TRADING_HALTED');
    expect(e.state).toBe('HALTED');
    expect(code(e, signal({ quantity: 1, last: 500 }))).toBe('TRADING_HALTED');
  });

  it('REDUCING: only orders that shrink a position pass', () => {
    const e = engine({ onDailyLoss: 'REDUCING' });
    expect(code(e, signal({ quantity: 100, last: 1000 }))).toBe('OK');
    e.onFill(fill({ quantity: 100, fill_price: 1000 }));
    const v = e.evaluate(signal({ signal_type: 'SELL', quantity: 50, last: 500 }), undefined);
    expect(v.ok).toBe(true);
    expect(v.changes).toEqual([{ state: 'REDUCING', previous: 'ACTIVE', cause: 'DAILY_LOSS', flatten: false, trading_day: '2025-08-11', loss: 50_000, limit: 40_000 }]);
    expect(code(e, signal({ quantity: 10, last: 500 }))).toBe('REDUCE_ONLY');
    expect(code(e, signal({ signal_type: 'SELL', quantity: 60, last: 500 }))).toBe('REDUCE_ONLY'); // would cross to short
    expect(code(e, signal({ signal_type: 'SELL', quantity: 50, last: 500 }))).toBe('OK');
  });

  it('FLATTEN: reducing, and the state change asks strategies to close everything now', () => {
    const e = engine({ onDailyLoss: 'FLATTEN' });
    e.evaluate(signal({ quantity: 100, last: 1000 }), undefined);
    e.onFill(fill({ quantity: 100, fill_price: 1000 }));
    const v = e.evaluate(signal({ signal_type: 'SELL', quantity: 100, last: 500, kind: 'flatten' }), undefined);
    expect(v.changes[0]).toMatchObject({ state: 'REDUCING', flatten: true });
    expect(v.ok && v.quantity).toBe(100);
  });

  it('a realized loss with fees counts too, and the next trading day starts ACTIVE again', () => {
    const e = engine();
    e.onFill(fill({ quantity: 100, fill_price: 1000 }));
    const { changes } = e.onFill(fill({ signal_type: 'SELL', quantity: 100, fill_price: 601, fees: 100 }));
    expect(changes).toEqual([expect.objectContaining({ previous: 'ACTIVE', state: 'HALTED', loss: 40_000 })]);
    const next = e.evaluate(signal({ at: Date.parse('2025-08-12T05:00:00Z') }), undefined);
    expect(next.ok).toBe(true);
    expect(next.changes).toEqual([expect.objectContaining({ state: 'ACTIVE', previous: 'HALTED', cause: 'NEW_DAY', trading_day: '2025-08-12' })]);
  });

  it('a fill delivered twice is applied once: the same loss does not halt twice as fast', () => {
    const e = engine();
    const buy = fill({ quantity: 100, fill_price: 1000 });
    const sell = fill({ signal_type: 'SELL', quantity: 100, fill_price: 750 });
    for (const f of [buy, buy, sell, sell]) e.onFill(f);
    expect(e.lossToday()).toBe(25_000 * 100);
    expect(e.state).toBe('ACTIVE');
  });
});

describe('risk in event time, whatever the order of arrival', () => {
  it('a late signal is counted against the second it belongs to, not against the newest one', () => {
    const e = engine({ maxPositionPerInstrument: 1e6, maxPositionPerStrategy: 1e9, maxGrossExposure: 1e12 });
    // A block of 10 orders at 10:30:00.x arrives first; then 14 more from the same second, late.
    for (let i = 0; i < 10; i++) expect(code(e, signal({ at: T0 + i * 50, quantity: 1 }))).toBe('OK');
    expect(code(e, signal({ at: T0 + 4 * 3_600_000, quantity: 1 }))).toBe('OK'); // a later strategy's block
    const late = Array.from({ length: 14 }, (_, i) => code(e, signal({ at: T0 + 500 + i * 10, quantity: 1 })));
    expect(late.every((c) => c === 'RATE_LIMIT_SECOND')).toBe(true);
    // ...and a late order in a quiet second passes.
    expect(code(e, signal({ at: T0 + 10_000, quantity: 1 }))).toBe('OK');
  });

  it('a late signal never lets through more than the limit in any second around it', () => {
    const e = engine({ maxPositionPerInstrument: 1e6, maxPositionPerStrategy: 1e9, maxGrossExposure: 1e12 });
    // 9 orders in [T0 + 500, T0 + 900]; the window [T0, T0 + 999] could take one more, and so can [T0 + 500, T0 + 1499].
    for (let i = 0; i < 9; i++) expect(code(e, signal({ at: T0 + 500 + i * 50, quantity: 1 }))).toBe('OK');
    expect(code(e, signal({ at: T0 + 1200, quantity: 1 }))).toBe('OK'); // 10 in [T0 + 500, T0 + 1499]
    expect(code(e, signal({ at: T0 + 300, quantity: 1 }))).toBe('RATE_LIMIT_SECOND'); // [T0 + 300, T0 + 1299] would hold 11
  });

  it('STALE_DAY: a late signal from the previous day does not lift a HALT or reset the day', () => {
    const e = engine();
    const day2 = Date.parse('2025-08-12T05:00:00Z');
    expect(code(e, signal({ at: T0, quantity: 100, last: 1000 }))).toBe('OK');
    e.onFill(fill({ quantity: 100, fill_price: 1000 }));
    expect(code(e, signal({ at: day2, signal_type: 'SELL', quantity: 1, last: 500 }))).toBe('TRADING_HALTED');
    expect(e.state).toBe('HALTED');
    const late = e.evaluate(signal({ at: T0 + 60_000, quantity: 1, last: 1000 }), undefined);
    expect(late.ok ? 'OK' : late.denial.code).toBe('STALE_DAY');
    expect(late.changes).toEqual([]);
    expect([e.state, e.tradingDay]).toEqual(['HALTED', '2025-08-12']);
    // Its day-1 price did not mark the book up either: still halted at day 2's price.
    expect(code(e, signal({ at: day2 + 1000, quantity: 1, last: 500 }))).toBe('TRADING_HALTED');
  });

  it('judges a day of signals identically whatever order the strategies deliver them in', () => {
    // Three strategies, each a block of a day's signals 37 s apart (as a fast replay delivers them): in
    // event time no limit binds (at most 6 orders in any minute), however the blocks interleave.
    const day: TradingSignal[] = [];
    for (const [k, strategy] of ['a', 'b', 'c'].entries()) {
      for (let i = 0; i < 40; i++) {
        const at = T0 + i * 37_000 + k * 12_000;
        day.push(signal({ strategy_id: strategy, instrument_token: 1 + (i % 2), signal_type: i % 4 < 2 ? 'BUY' : 'SELL', quantity: 10, at, last: 100 + (i % 7) }));
      }
    }
    const verdicts = (order: TradingSignal[]) => {
      const e = engine({ ordersPerSecond: 2, ordersPerMinute: 6 });
      return new Map(order.map((s) => [s.signal_id, code(e, s)]));
    };
    const byTime = [...day].sort((x, y) => Date.parse(x.timestamp) - Date.parse(y.timestamp));
    const byStrategy = ['c', 'a', 'b'].flatMap((id) => day.filter((s) => s.strategy_id === id));
    const reversed = [...byStrategy].reverse();
    const first = verdicts(byTime);
    expect(verdicts(byStrategy)).toEqual(first);
    expect(verdicts(reversed)).toEqual(first);
    expect(new Set(first.values())).toEqual(new Set(['OK']));
    // The same limits do bind a real burst: a seventh order inside one minute.
    const e = engine({ ordersPerSecond: 2, ordersPerMinute: 6 });
    const burst = Array.from({ length: 7 }, (_, i) => code(e, signal({ at: T0 + i * 5000, quantity: 1 })));
    expect(burst).toEqual(['OK', 'OK', 'OK', 'OK', 'OK', 'OK', 'RATE_LIMIT_MINUTE']);
  });
});

describe('intraday square-off', () => {
  const at1521 = Date.parse('2025-08-11T09:51:00Z');

  it('after the square-off time only orders that close a position pass', () => {
    const e = engine();
    expect(code(e, signal({ at: T0, quantity: 10 }))).toBe('OK');
    expect(code(e, signal({ at: at1521, quantity: 10 }))).toBe('SQUARE_OFF_TIME');
    expect(code(e, signal({ at: at1521 + 1, signal_type: 'SELL', quantity: 10 }))).toBe('OK');
  });

  it('a square-off orders what this namespace holds, and nothing when it holds nothing', () => {
    const e = engine();
    expect(code(e, signal({ at: T0, quantity: 10 }))).toBe('OK');
    const close = e.evaluate(signal({ at: at1521, signal_type: 'SELL', quantity: 25, kind: 'square_off' }), undefined);
    expect(close.ok && close.quantity).toBe(10);
    expect(code(e, signal({ at: at1521 + 1, signal_type: 'SELL', quantity: 10, kind: 'square_off' }))).toBe('NOTHING_TO_CLOSE');
  });
});

describe("an operator's commands", () => {
  it('HALT holds through the next signals, REDUCE lets only reducing orders pass, RESUME lifts them', () => {
    const e = engine();
    const halted = e.command('HALT', T0 - 3_600_000);
    expect(halted.map((c) => [c.state, c.previous, c.cause, c.trading_day])).toEqual([['HALTED', 'ACTIVE', 'OPERATOR', '2025-08-11']]);
    expect(code(e, signal({ at: T0 }))).toBe('TRADING_HALTED');
    expect(e.command('HALT', T0)).toEqual([]); // already halted: nothing changes, nothing announced
    expect(e.command('REDUCE', T0 + 1).map((c) => c.state)).toEqual(['REDUCING']);
    expect(code(e, signal({ at: T0 + 1000 }))).toBe('REDUCE_ONLY');
    expect(e.command('RESUME', T0 + 2000).map((c) => [c.state, c.previous])).toEqual([['ACTIVE', 'REDUCING']]);
    expect(code(e, signal({ at: T0 + 3000 }))).toBe('OK');
  });

  it("an operator's HALT holds across days until RESUME; the loss limit's state lapses at the next day", () => {
    const e = engine();
    expect(code(e, signal({ at: T0 }))).toBe('OK');
    e.command('HALT', T0 + 1000);
    expect(code(e, signal({ at: T0 + 86_400_000 }))).toBe('TRADING_HALTED'); // Tuesday: still halted
    expect(e.tradingDay).toBe('2025-08-12');
    e.command('RESUME', T0 + 86_400_000 + 1000);
    expect(code(e, signal({ at: T0 + 86_400_000 + 2000 }))).toBe('OK');
  });

  it("a command does not move the engine's day: a replay of a past day goes on in its own time", () => {
    const e = engine();
    expect(code(e, signal({ at: T0 }))).toBe('OK');
    const now = Date.parse('2026-12-01T05:00:00Z'); // the operator's wall clock, long after the replayed day
    e.command('HALT', now);
    e.command('RESUME', now + 1000);
    expect(e.tradingDay).toBe('2025-08-11');
    expect(code(e, signal({ at: T0 + 60_000 }))).toBe('OK');
  });

  it('a command delivered again after a restart, or any older one, changes nothing', () => {
    const e = engine();
    e.command('HALT', T0);
    e.command('RESUME', T0 + 1000);
    const day = e.dayState;
    expect(day).toMatchObject({ state: 'ACTIVE', lastCommandAt: T0 + 1000 });
    const restarted = engine();
    restarted.restore({ ...EMPTY_HISTORY, day });
    expect(restarted.command('HALT', T0)).toEqual([]); // the HALT read again from the log
    expect(restarted.command('RESUME', T0 + 1000)).toEqual([]);
    expect(restarted.state).toBe('ACTIVE');
    expect(restarted.command('HALT', T0 + 5000).map((c) => c.state)).toEqual(['HALTED']);
  });
});
