import { z } from 'zod';
import { PerInstrument } from './per-instrument.ts';
import { RollingStats } from './running-stats.ts';
import { defineStrategy, NO_SIGNALS, type SignalIntent } from './sdk.ts';
import { zAtLeast, zAtMost, zScoreInOrder } from './z-score.ts';

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

/** An instrument's stats, made on its first tick; one function for every instance, so an idle strategy holds no closure. */
const statsOf = (size: number) => new RollingStats(size);

/**
 * Buys `position_size` from flat when the price falls `entry_std` standard deviations below its rolling
 * mean (the window before this tick), and sells what it holds when the price is back above
 * mean - exit_std deviations. Long or flat. State: per instrument, running stats over the window (exact
 * sums in paise, O(1) a tick); the bands decide exactly as getAverage/getStandardDeviation over the window
 * did (z-score.ts says how), and a signal's reason quotes their z-score.
 */
export const meanReversion = defineStrategy({
  name: 'mean_reversion',
  description: 'entry and exit bands in standard deviations around a rolling mean',
  params: Params,
  longOnly: true,
  init: (_p, instruments) => new PerInstrument(instruments, statsOf),
  onTick(state, tick, p, ctx) {
    const token = tick.instrument_token;
    const stats = state.lane(token, p.window);
    if (!stats) return state.quiet;
    const price = tick.last_price;
    let signals: readonly SignalIntent[] = NO_SIGNALS;
    if (stats.full) {
      const held = ctx.position(token);
      if (held === 0 && zAtMost(stats, price, -p.entry_std)) {
        signals = [{ instrument_token: token, signal_type: 'BUY', quantity: p.position_size, reason: `z ${zScoreInOrder(stats.window, price).toFixed(2)} <= -${p.entry_std}` }];
      } else if (held > 0 && zAtLeast(stats, price, -p.exit_std)) {
        signals = [{ instrument_token: token, signal_type: 'SELL', quantity: held, reason: `z ${zScoreInOrder(stats.window, price).toFixed(2)} >= -${p.exit_std}` }];
      }
    }
    // After the decision: the bands are those of the window before this tick.
    stats.push(price);
    return state.result(signals);
  },
});
