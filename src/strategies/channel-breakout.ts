import { z } from 'zod';
import { RollingRange } from './monotonic-deque.ts';
import { PerInstrument } from './per-instrument.ts';
import { defineStrategy, NO_SIGNALS, type SignalIntent } from './sdk.ts';

const Params = z.strictObject({
  /** Ticks in the channel. */
  window: z.number().int().min(2).max(10_000),
  position_size: z.number().int().positive(),
});

/** An instrument's channel, made on its first tick; one function for every instance, so an idle strategy holds no closure. */
const channelOf = (size: number) => new RollingRange(size);

/** Buys from flat when the price breaks above the highest of the last `window` ticks; sells what it holds below the lowest. */
export const channelBreakout = defineStrategy({
  name: 'channel_breakout',
  description: 'breakouts from the high/low channel of the last N ticks',
  params: Params,
  longOnly: true,
  init: (_p, instruments) => new PerInstrument(instruments, channelOf),
  onTick(state, tick, p, ctx) {
    const token = tick.instrument_token;
    const channel = state.lane(token, p.window);
    if (!channel) return state.quiet;
    const price = tick.last_price;
    let signals: readonly SignalIntent[] = NO_SIGNALS;
    if (channel.full) {
      const held = ctx.position(token);
      const high = channel.high.value;
      const low = channel.low.value;
      if (held === 0 && price > high) signals = [{ instrument_token: token, signal_type: 'BUY', quantity: p.position_size, reason: `above ${high}` }];
      else if (held > 0 && price < low) signals = [{ instrument_token: token, signal_type: 'SELL', quantity: held, reason: `below ${low}` }];
    }
    // After the decision: the channel is the window before this tick.
    channel.push(price);
    return state.result(signals);
  },
});
