import { getAverage, getMaximum, getMinimum, getPercentageChange, getStandardDeviation } from 'trading-signals';
import { channelBreakout } from '../../src/strategies/channel-breakout.ts';
import { meanReversion } from '../../src/strategies/mean-reversion.ts';
import { defineStrategy, NO_SIGNALS, priceWindows, roll, type PriceWindows, type Strategy } from '../../src/strategies/sdk.ts';
import { simpleMomentum } from '../../src/strategies/simple-momentum.ts';

/**
 * The built-in strategies as they were before the O(1) SDK, verbatim but for their names: immutable
 * state (`priceWindows`/`roll`, a new Map and two window copies per tick) and trading-signals' array
 * functions over the window. The reference model the new ones must match signal for signal
 * (tests/unit/strategies-match-reference.test.ts) and the baseline of bench/strategies.bench.ts. They
 * also show that a strategy written the old way still runs unchanged.
 */

export const referenceMomentum = defineStrategy({
  name: simpleMomentum.name,
  description: simpleMomentum.description,
  params: simpleMomentum.params,
  longOnly: true,
  init: (_p, instruments) => priceWindows(instruments),
  onTick(state: PriceWindows, tick, p, ctx) {
    const w = roll(state, tick.instrument_token, tick.last_price, p.lookback_period + 1);
    if (!w) return { state, signals: NO_SIGNALS };
    if (w.after.length <= p.lookback_period) return { state: w.state, signals: NO_SIGNALS };
    const change = getPercentageChange(w.after[0]!, tick.last_price) / 100;
    const held = ctx.position(tick.instrument_token);
    const reason = `momentum ${(change * 100).toFixed(3)}% over ${p.lookback_period} ticks`;
    if (held === 0 && change > p.momentum_threshold) return { state: w.state, signals: [{ instrument_token: tick.instrument_token, signal_type: 'BUY', quantity: p.position_size, reason }] };
    if (held > 0 && change < -p.momentum_threshold) return { state: w.state, signals: [{ instrument_token: tick.instrument_token, signal_type: 'SELL', quantity: held, reason }] };
    return { state: w.state, signals: NO_SIGNALS };
  },
});

export const referenceMeanReversion = defineStrategy({
  name: meanReversion.name,
  description: meanReversion.description,
  params: meanReversion.params,
  longOnly: true,
  init: (_p, instruments) => priceWindows(instruments),
  onTick(state: PriceWindows, tick, p, ctx) {
    const w = roll(state, tick.instrument_token, tick.last_price, p.window);
    if (!w) return { state, signals: NO_SIGNALS };
    if (w.before.length < p.window) return { state: w.state, signals: NO_SIGNALS };
    const values = w.before as number[]; // the library reads, never writes
    const mean = getAverage(values);
    const sd = getStandardDeviation(values, mean);
    if (sd === 0) return { state: w.state, signals: NO_SIGNALS };
    const z = (tick.last_price - mean) / sd;
    const held = ctx.position(tick.instrument_token);
    if (held === 0 && z <= -p.entry_std) return { state: w.state, signals: [{ instrument_token: tick.instrument_token, signal_type: 'BUY', quantity: p.position_size, reason: `z ${z.toFixed(2)} <= -${p.entry_std}` }] };
    if (held > 0 && z >= -p.exit_std) return { state: w.state, signals: [{ instrument_token: tick.instrument_token, signal_type: 'SELL', quantity: held, reason: `z ${z.toFixed(2)} >= -${p.exit_std}` }] };
    return { state: w.state, signals: NO_SIGNALS };
  },
});

export const referenceChannelBreakout = defineStrategy({
  name: channelBreakout.name,
  description: channelBreakout.description,
  params: channelBreakout.params,
  longOnly: true,
  init: (_p, instruments) => priceWindows(instruments),
  onTick(state: PriceWindows, tick, p, ctx) {
    const w = roll(state, tick.instrument_token, tick.last_price, p.window);
    if (!w) return { state, signals: NO_SIGNALS };
    if (w.before.length < p.window) return { state: w.state, signals: NO_SIGNALS };
    const high = getMaximum(w.before as number[]);
    const low = getMinimum(w.before as number[]);
    const held = ctx.position(tick.instrument_token);
    if (held === 0 && tick.last_price > high) return { state: w.state, signals: [{ instrument_token: tick.instrument_token, signal_type: 'BUY', quantity: p.position_size, reason: `above ${high}` }] };
    if (held > 0 && tick.last_price < low) return { state: w.state, signals: [{ instrument_token: tick.instrument_token, signal_type: 'SELL', quantity: held, reason: `below ${low}` }] };
    return { state: w.state, signals: NO_SIGNALS };
  },
});

/** Each built-in, by name, with its reference. */
export const REFERENCES: ReadonlyMap<string, { readonly now: Strategy<unknown, unknown>; readonly before: Strategy<unknown, unknown> }> = new Map(
  [
    [simpleMomentum, referenceMomentum],
    [meanReversion, referenceMeanReversion],
    [channelBreakout, referenceChannelBreakout],
  ].map(([now, before]) => [now!.name, { now: now as unknown as Strategy<unknown, unknown>, before: before as unknown as Strategy<unknown, unknown> }]),
);
