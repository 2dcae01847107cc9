import { getPercentageChange } from 'trading-signals';
import { z } from 'zod';
import { defineStrategy, NO_SIGNALS, priceWindows, roll } from './sdk.ts';

const Params = z.strictObject({
  /** Ticks between the price compared against and the current one. */
  lookback_period: z.number().int().min(1).max(10_000),
  /** Fractional change that counts as momentum: 0.002 is 0.2 %. */
  momentum_threshold: z.number().positive().max(1),
  position_size: z.number().int().positive(),
});

/**
 * Buys `position_size` from flat when the price has risen by more than the threshold over the lookback,
 * and sells what it holds when the price has fallen by more than the threshold. Long or flat.
 */
export const simpleMomentum = defineStrategy({
  name: 'simple_momentum',
  description: 'price change over a lookback window crossing a threshold',
  params: Params,
  longOnly: true,
  init: (_p, instruments) => priceWindows(instruments),
  onTick(state, tick, p, ctx) {
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
