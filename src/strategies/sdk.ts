import { z } from 'zod';
import type { MarketTick, OrderFilled } from '../contracts/events.ts';

/** What a strategy asks for: the shell turns it into a `trading_signal` event. */
export interface SignalIntent {
  readonly instrument_token: number;
  readonly signal_type: 'BUY' | 'SELL';
  readonly quantity: number;
  readonly reason: string;
}

/**
 * What a strategy returns is checked here, at the boundary between user code and the system: on the
 * in-process bus nothing downstream decodes it again.
 */
export const SignalIntentSchema = z.strictObject({
  instrument_token: z.number().int().positive(),
  signal_type: z.enum(['BUY', 'SELL']),
  quantity: z.number().int().positive(),
  reason: z.string(),
});

/** What a strategy may look at besides its own state. */
export interface StrategyContext {
  readonly strategyId: string;
  readonly instruments: readonly number[];
  /** Net quantity this strategy holds in `token`, from its own fills. */
  position(token: number): number;
}

export interface TickResult<S> {
  readonly state: S;
  readonly signals: readonly SignalIntent[];
}

/**
 * A strategy is a pure module: a name, a zod schema for its parameters, an initial state, and what to do
 * on a tick (and, optionally, on one of its own fills). No I/O, no clock, no randomness: the same ticks
 * give the same signals, in a replay, in paper and in live trading.
 *
 * `onTick` may return a new state or the one it was given, updated in place (the built-ins keep ring
 * buffers and running sums that way: O(1) a tick, nothing allocated; see per-instrument.ts). The shell and
 * the warm-up keep whatever is returned and never read an older state again. Either way the state must be
 * a function of the recent ticks alone, not of how long the strategy has run: the warm-up replays only
 * recent ticks, and a restarted strategy must decide as the one it replaces.
 */
export interface Strategy<P, S> {
  readonly name: string;
  readonly description: string;
  /**
   * Long or flat, never short: risk refuses a sell that would take the strategy below zero (LONG_ONLY).
   * A strategy decides from what it holds including signals in flight, so without this an exit sent
   * while its entry is in flight would become a short if the entry were refused.
   */
  readonly longOnly?: boolean;
  readonly params: z.ZodType<P>;
  init(params: P, instruments: readonly number[]): S;
  onTick(state: S, tick: MarketTick, params: P, ctx: StrategyContext): TickResult<S>;
  onFill?(state: S, fill: OrderFilled, params: P, ctx: StrategyContext): S;
}

/** Type-checks a strategy definition; the registry stores it without its type parameters. */
export function defineStrategy<P, S>(strategy: Strategy<P, S>): Strategy<P, S> {
  return strategy;
}

export const NO_SIGNALS: readonly SignalIntent[] = Object.freeze([]);

/**
 * The rolling price window per instrument, the old way: immutable, a new Map and window copies per tick
 * (O(window) and allocating). Still supported; new strategies use RollingWindow and PerInstrument.
 */
export type PriceWindows = ReadonlyMap<number, readonly number[]>;

export function priceWindows(instruments: readonly number[]): PriceWindows {
  return new Map(instruments.map((t) => [t, []]));
}

/**
 * Adds a tick's price to its instrument's window, keeping the last `size` prices. `before` is the window
 * without this tick (what bands and channels are judged against), `after` the window with it. Undefined
 * for a tick of an instrument the strategy does not trade.
 */
export function roll(windows: PriceWindows, token: number, price: number, size: number): { before: readonly number[]; after: readonly number[]; state: PriceWindows } | undefined {
  const before = windows.get(token);
  if (!before) return undefined;
  const after = [...(before.length >= size ? before.slice(before.length - size + 1) : before), price];
  return { before, after, state: new Map(windows).set(token, after) };
}
