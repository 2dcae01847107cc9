import { getPercentageChange } from 'trading-signals';
import { z } from 'zod';
import { PerInstrument } from './per-instrument.ts';
import { RollingWindow } from './rolling-window.ts';
import { defineStrategy, NO_SIGNALS, type SignalIntent } from './sdk.ts';

const Params = z.strictObject({
  /** Ticks between the price compared against and the current one. */
  lookback_period: z.number().int().min(1).max(10_000),
  /** Fractional change that counts as momentum: 0.002 is 0.2 %. */
  momentum_threshold: z.number().positive().max(1),
  position_size: z.number().int().positive(),
});

type Params = z.infer<typeof Params>;

const reason = (change: number, p: Params) => `momentum ${(change * 100).toFixed(3)}% over ${p.lookback_period} ticks`;

/** An instrument's prices, made on its first tick; one function for every instance, so an idle strategy holds no closure. */
const pricesOf = (size: number) => new RollingWindow(size);

/**
 * Buys `position_size` from flat when the price has risen by more than the threshold over the lookback,
 * and sells what it holds when the price has fallen by more than the threshold. Long or flat.
 * State: per instrument, the last lookback + 1 prices in a ring; the compared price is the oldest.
 */
export const simpleMomentum = defineStrategy({
  name: 'simple_momentum',
  description: 'price change over a lookback window crossing a threshold',
  params: Params,
  longOnly: true,
  init: (_p, instruments) => new PerInstrument(instruments, pricesOf),
  onTick(state, tick, p, ctx) {
    const token = tick.instrument_token;
    const prices = state.lane(token, p.lookback_period + 1);
    if (!prices) return state.quiet;
    const price = tick.last_price;
    prices.push(price);
    if (!prices.full) return state.quiet;
    // A plain function of two numbers: nothing allocated, and the same arithmetic as before.
    const change = getPercentageChange(prices.oldest, price) / 100;
    const held = ctx.position(token);
    let signals: readonly SignalIntent[] = NO_SIGNALS;
    if (held === 0 && change > p.momentum_threshold) signals = [{ instrument_token: token, signal_type: 'BUY', quantity: p.position_size, reason: reason(change, p) }];
    else if (held > 0 && change < -p.momentum_threshold) signals = [{ instrument_token: token, signal_type: 'SELL', quantity: held, reason: reason(change, p) }];
    return state.result(signals);
  },
});
