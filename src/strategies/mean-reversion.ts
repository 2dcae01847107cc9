import { getAverage, getStandardDeviation } from 'trading-signals';
import { z } from 'zod';
import { defineStrategy, NO_SIGNALS, priceWindows, roll } from './sdk.ts';

const Params = z
  .strictObject({
    /** Ticks in the rolling window the mean and standard deviation are taken over. */
    window: z.number().int().min(2).max(10_000),
    /** Buy when the price is this many standard deviations below the mean... */
    entry_std: z.number().positive(),
    /** ...and sell when it has come back to within this many below it (or above). */
    exit_std: z.number().min(0),
    position_size: z.number().int().positive(),
  })
  .refine((p) => p.exit_std < p.entry_std, { message: 'exit_std must be below entry_std', path: ['exit_std'] });

/**
 * Buys `position_size` from flat when the price falls `entry_std` standard deviations below its rolling
 * mean (the window before this tick), and sells what it holds when the price is back above
 * mean - exit_std deviations. Long or flat.
 */
export const meanReversion = defineStrategy({
  name: 'mean_reversion',
  description: 'entry and exit bands in standard deviations around a rolling mean',
  params: Params,
  longOnly: true,
  init: (_p, instruments) => priceWindows(instruments),
  onTick(state, tick, p, ctx) {
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
