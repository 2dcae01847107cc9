import { getMaximum, getMinimum } from 'trading-signals';
import { z } from 'zod';
import { defineStrategy, NO_SIGNALS } from './sdk.ts';

const Params = z.strictObject({
  /** Ticks in the channel. */
  window: z.number().int().min(2).max(10_000),
  position_size: z.number().int().positive(),
});

type State = ReadonlyMap<number, { readonly prices: readonly number[]; readonly long: boolean }>;

/** Buys when the price breaks above the highest of the last `window` ticks; sells when it breaks below the lowest. */
export const channelBreakout = defineStrategy({
  name: 'channel_breakout',
  description: 'breakouts from the high/low channel of the last N ticks',
  params: Params,
  init: (_p, instruments): State => new Map(instruments.map((t) => [t, { prices: [], long: false }])),
  onTick(state, tick, p) {
    const lane = state.get(tick.instrument_token);
    if (!lane) return { state, signals: NO_SIGNALS };
    const full = lane.prices.length === p.window;
    const high = full ? getMaximum(lane.prices as number[]) : Infinity;
    const low = full ? getMinimum(lane.prices as number[]) : -Infinity;
    const buy = !lane.long && tick.last_price > high;
    const sell = lane.long && tick.last_price < low;
    const signals = buy || sell ? [{ instrument_token: tick.instrument_token, signal_type: buy ? ('BUY' as const) : ('SELL' as const), quantity: p.position_size, reason: buy ? `above ${high}` : `below ${low}` }] : NO_SIGNALS;
    const prices = [...(full ? lane.prices.slice(1) : lane.prices), tick.last_price];
    return { state: new Map(state).set(tick.instrument_token, { prices, long: buy || (lane.long && !sell) }), signals };
  },
});
