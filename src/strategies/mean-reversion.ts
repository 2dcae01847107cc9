import { getAverage, getStandardDeviation } from 'trading-signals';
import { z } from 'zod';
import { defineStrategy, NO_SIGNALS } from './sdk.ts';

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

interface Lane {
  readonly prices: readonly number[];
  readonly long: boolean;
}
type State = ReadonlyMap<number, Lane>;

/**
 * Buys `position_size` when the price falls `entry_std` standard deviations below its rolling mean (the
 * window before this tick), and sells when the price is back above mean - exit_std deviations. Long or flat.
 */
export const meanReversion = defineStrategy({
  name: 'mean_reversion',
  description: 'entry and exit bands in standard deviations around a rolling mean',
  params: Params,
  init: (_p, instruments): State => new Map(instruments.map((t) => [t, { prices: [], long: false }])),
  onTick(state, tick, p) {
    const lane = state.get(tick.instrument_token);
    if (!lane) return { state, signals: NO_SIGNALS };
    let { long } = lane;
    const signals = [];
    if (lane.prices.length === p.window) {
      const window = lane.prices as number[]; // the library reads, never writes
      const mean = getAverage(window);
      const sd = getStandardDeviation(window, mean);
      if (sd > 0) {
        const z = (tick.last_price - mean) / sd;
        if (!long && z <= -p.entry_std) {
          signals.push({ instrument_token: tick.instrument_token, signal_type: 'BUY' as const, quantity: p.position_size, reason: `z ${z.toFixed(2)} <= -${p.entry_std}` });
          long = true;
        } else if (long && z >= -p.exit_std) {
          signals.push({ instrument_token: tick.instrument_token, signal_type: 'SELL' as const, quantity: p.position_size, reason: `z ${z.toFixed(2)} >= -${p.exit_std}` });
          long = false;
        }
      }
    }
    const prices = [...(lane.prices.length === p.window ? lane.prices.slice(1) : lane.prices), tick.last_price];
    const next = new Map(state);
    next.set(tick.instrument_token, { prices, long });
    return { state: next, signals };
  },
});
