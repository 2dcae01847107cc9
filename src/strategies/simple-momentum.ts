import { getPercentageChange } from 'trading-signals';
import { z } from 'zod';
import { defineStrategy, NO_SIGNALS } from './sdk.ts';

const Params = z.strictObject({
  /** Ticks between the price compared against and the current one. */
  lookback_period: z.number().int().min(1).max(10_000),
  /** Fractional change that counts as momentum: 0.002 is 0.2 %. */
  momentum_threshold: z.number().positive().max(1),
  position_size: z.number().int().positive(),
});

/** Per instrument: the last lookback_period + 1 prices, and whether we hold. */
interface Lane {
  readonly prices: readonly number[];
  readonly long: boolean;
}
type State = ReadonlyMap<number, Lane>;

/**
 * Buys `position_size` when the price has risen by more than the threshold over the lookback, and sells
 * what it holds when it has fallen by more than the threshold. Long or flat; one position per instrument.
 */
export const simpleMomentum = defineStrategy({
  name: 'simple_momentum',
  description: 'price change over a lookback window crossing a threshold',
  params: Params,
  init: (_p, instruments): State => new Map(instruments.map((t) => [t, { prices: [], long: false }])),
  onTick(state, tick, p) {
    const lane = state.get(tick.instrument_token);
    if (!lane) return { state, signals: NO_SIGNALS };
    const prices = [...lane.prices.slice(-p.lookback_period), tick.last_price];
    let { long } = lane;
    const signals = [];
    if (prices.length > p.lookback_period) {
      const change = getPercentageChange(prices[0]!, tick.last_price) / 100;
      if (!long && change > p.momentum_threshold) {
        signals.push({ instrument_token: tick.instrument_token, signal_type: 'BUY' as const, quantity: p.position_size, reason: `momentum ${(change * 100).toFixed(3)}% over ${p.lookback_period} ticks` });
        long = true;
      } else if (long && change < -p.momentum_threshold) {
        signals.push({ instrument_token: tick.instrument_token, signal_type: 'SELL' as const, quantity: p.position_size, reason: `momentum ${(change * 100).toFixed(3)}% over ${p.lookback_period} ticks` });
        long = false;
      }
    }
    const next = new Map(state);
    next.set(tick.instrument_token, { prices, long });
    return { state: next, signals };
  },
});
