import { getMaximum, getMinimum } from 'trading-signals';
import { z } from 'zod';
import { defineStrategy, NO_SIGNALS, priceWindows, roll } from './sdk.ts';

const Params = z.strictObject({
  /** Ticks in the channel. */
  window: z.number().int().min(2).max(10_000),
  position_size: z.number().int().positive(),
});

/** Buys from flat when the price breaks above the highest of the last `window` ticks; sells what it holds below the lowest. */
export const channelBreakout = defineStrategy({
  name: 'channel_breakout',
  description: 'breakouts from the high/low channel of the last N ticks',
  params: Params,
  longOnly: true,
  init: (_p, instruments) => priceWindows(instruments),
  onTick(state, tick, p, ctx) {
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
