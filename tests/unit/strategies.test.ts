import { describe, expect, it } from 'vitest';
import type { MarketTick } from '../../src/contracts/events.ts';
import { channelBreakout } from '../../src/strategies/channel-breakout.ts';
import { meanReversion } from '../../src/strategies/mean-reversion.ts';
import { STRATEGIES } from '../../src/strategies/registry.ts';
import type { Strategy, StrategyContext } from '../../src/strategies/sdk.ts';
import { simpleMomentum } from '../../src/strategies/simple-momentum.ts';

const ctx: StrategyContext = { strategyId: 's', instruments: [1], position: () => 0 };
const tick = (price: number, token = 1): MarketTick => ({ instrument_token: token, last_price: price, volume: 0, exchange_timestamp: '2025-08-11T04:00:00.000Z', timestamp: '2025-08-11T04:00:00.000Z' });

/** Feeds prices through a strategy, filling each signal at once; returns the signals per tick as 'BUY 10' strings. */
function drive<P, S>(s: Strategy<P, S>, params: P, prices: number[], token = 1, held = new Map<number, number>(), refuse = false): string[][] {
  let state = s.init(params, [token]);
  const context: StrategyContext = { strategyId: 's', instruments: [token], position: (t) => held.get(t) ?? 0 };
  return prices.map((p) => {
    const r = s.onTick(state, tick(p, token), params, context);
    state = r.state;
    if (!refuse) for (const x of r.signals) held.set(x.instrument_token, (held.get(x.instrument_token) ?? 0) + (x.signal_type === 'BUY' ? x.quantity : -x.quantity));
    return r.signals.map((x) => `${x.signal_type} ${x.quantity}`);
  });
}

describe('simple_momentum', () => {
  const params = simpleMomentum.params.parse({ lookback_period: 3, momentum_threshold: 0.01, position_size: 10 });

  it('buys when the price has risen more than the threshold over the lookback, and sells the position when it has fallen more', () => {
    // tick 4: (101.5 - 100) / 100 = +1.5% > 1% -> BUY. tick 6: (100 - 101) / 101 = -0.99%, not yet.
    // tick 7: (99.9 - 101.5) / 101.5 = -1.58% -> SELL.
    expect(drive(simpleMomentum, params, [100, 100.5, 101, 101.5, 101, 100, 99.9])).toEqual([[], [], [], ['BUY 10'], [], [], ['SELL 10']]);
  });

  it('decides from what it holds: no exit when its entry never filled, and the exit sells exactly what is held', () => {
    // Every order refused by risk (nothing ever held): the entry is asked for, the fall after it sells nothing.
    expect(drive(simpleMomentum, params, [100, 100.5, 101, 101.5, 101, 100, 99.9], 1, new Map(), true)).toEqual([[], [], [], ['BUY 10'], [], [], []]);
    // Holding 7 (say, a partial fill): the exit sells 7.
    expect(drive(simpleMomentum, params, [101.5, 101, 100, 99.9], 1, new Map([[1, 7]]))).toEqual([[], [], [], ['SELL 7']]);
  });

  it('says nothing until the lookback window is full, however far the price moves', () => {
    expect(drive(simpleMomentum, params, [100, 150, 200])).toEqual([[], [], []]);
  });

  it('ignores ticks of instruments it was not given', () => {
    let state = simpleMomentum.init(params, [1]);
    for (const p of [100, 110, 120, 130]) state = simpleMomentum.onTick(state, tick(p, 2), params, ctx).state;
    expect(state.get(2)).toBeUndefined();
  });

  it('rejects parameters that make no sense, naming them', () => {
    const r = simpleMomentum.params.safeParse({ lookback_period: 0, momentum_threshold: 0.01, position_size: 10 });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(['lookback_period']);
  });
});

describe('mean_reversion', () => {
  const params = meanReversion.params.parse({ window: 4, entry_std: 1.5, exit_std: 0.5, position_size: 7 });

  it('buys below the entry band and sells back inside the exit band', () => {
    // window [100, 101, 100, 101]: mean 100.5, sd 0.5; 99.5 -> z = -2 <= -1.5 -> BUY.
    // window [101, 100, 101, 99.5]: mean 100.375, sd 0.6495; 100.2 -> z = -0.27 >= -0.5 -> SELL.
    expect(drive(meanReversion, params, [100, 101, 100, 101, 99.5, 100.2])).toEqual([[], [], [], [], ['BUY 7'], ['SELL 7']]);
  });

  it('does not trade a window without variance', () => {
    expect(drive(meanReversion, params, [100, 100, 100, 100, 100]).flat()).toEqual([]);
  });

  it('requires the exit band inside the entry band', () => {
    expect(meanReversion.params.safeParse({ window: 4, entry_std: 1, exit_std: 2, position_size: 1 }).success).toBe(false);
  });
});

describe('channel_breakout (the README example)', () => {
  const params = channelBreakout.params.parse({ window: 3, position_size: 4 });

  it('buys above the highest of the last window ticks and sells below the lowest', () => {
    // channel [100, 102, 101]: 102.5 > 102 -> BUY; channel [101, 102.5, 101.5]: 100.5 < 101 -> SELL.
    expect(drive(channelBreakout, params, [100, 102, 101, 102.5, 101.5, 100.5])).toEqual([[], [], [], ['BUY 4'], [], ['SELL 4']]);
  });

  it('is registered under its name, so a strategies file can use it', () => {
    expect(STRATEGIES.get('channel_breakout')).toBe(channelBreakout);
  });
});
