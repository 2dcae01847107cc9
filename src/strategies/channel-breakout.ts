import { getMaximum, getMinimum } from 'trading-signals';
import { z } from 'zod';
import { defineStrategy, NO_SIGNALS } from './sdk.ts';

const Params = z.strictObject({
  /** Ticks in the channel. */
  window: z.number().int().min(2).max(10_000),
  position_size: z.number().int().positive(),
});

type State = ReadonlyMap<number, readonly number[]>;

/** Buys from flat when the price breaks above the highest of the last `window` ticks; sells what it holds below the lowest. */
export const channelBreakout = defineStrategy({
  name: 'channel_breakout',
  description: 'breakouts from the high/low channel of the last N ticks',
  params: Params,
  init: (_p, instruments): State => new Map(instruments.map((t) => [t, []])),
  onTick(state, tick, p, ctx) {
    const window = state.get(tick.instrument_token);
    if (!window) return { state, signals: NO_SIGNALS };
    const next = new Map(state).set(tick.instrument_token, [...(window.length === p.window ? window.slice(1) : window), tick.last_price]);
    if (window.length < p.window) return { state: next, signals: NO_SIGNALS };
    const high = getMaximum(window as number[]);
    const low = getMinimum(window as number[]);
    const held = ctx.position(tick.instrument_token);
    if (held === 0 && tick.last_price > high) return { state: next, signals: [{ instrument_token: tick.instrument_token, signal_type: 'BUY', quantity: p.position_size, reason: `above ${high}` }] };
    if (held > 0 && tick.last_price < low) return { state: next, signals: [{ instrument_token: tick.instrument_token, signal_type: 'SELL', quantity: held, reason: `below ${low}` }] };
    return { state: next, signals: NO_SIGNALS };
  },
});
