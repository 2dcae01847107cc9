import type { MarketTick } from '../../src/contracts/events.ts';
import { seededRandom, type Random } from '../../src/random.ts';
import type { SignalIntent, Strategy, StrategyContext } from '../../src/strategies/sdk.ts';

/**
 * Seeded random walks of many instruments for the strategy equivalence and history tests, and the
 * position model they replay strategies with.
 */

export const FIRST_TOKEN = 7_000_001;

/** How one instrument's price moves: from a price (rupees) to the next. */
export type Step = (price: number, random: Random) => number;

function gaussian(random: Random): number {
  const u = Math.max(random(), Number.EPSILON);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** The simulator's walk: a relative move of `volatility`, rounded to the 0.05 tick, never below one tick. */
export const onTickGrid =
  (volatility: number): Step =>
  (price, random) => {
    const paise = Math.round(price * 100);
    const moved = 5 * Math.round(Math.round(paise + paise * volatility * gaussian(random)) / 5);
    return Math.max(5, moved) / 100;
  };

/** A walk in any double at all: no rounding, so almost no price is a whole number of paise. */
export const offGrid =
  (volatility: number): Step =>
  (price, random) =>
    price * (1 + volatility * gaussian(random));

/** On the 0.05 grid, but one tick in `every` off it by a fraction of a paisa (the next tick goes back). */
export const mostlyOnGrid = (volatility: number, every: number): Step => {
  const grid = onTickGrid(volatility);
  return (price, random) => {
    const next = grid(Math.round(price * 20) / 20, random);
    return random() < 1 / every ? next + 0.0013 : next;
  };
};

/** A tick up or down one time in `every` each, else unchanged: flat windows and exact ties are common. */
export const sticky =
  (every: number): Step =>
  (price, random) => {
    const r = random();
    const paise = Math.round(price * 100);
    return (r < 1 / every ? paise + 5 : r < 2 / every ? Math.max(5, paise - 5) : paise) / 100;
  };

/** A tick a day can carry a wild price (a bad print): `spike` times the price, then back. */
export const withSpikes = (base: Step, every: number, spike: number): Step => {
  let last = NaN;
  return (price, random) => {
    const from = Number.isNaN(last) ? price : last;
    last = base(from, random);
    return random() < 1 / every ? Math.round(last * spike * 20) / 20 : last;
  };
};

export interface Walk {
  readonly ticks: readonly MarketTick[];
  readonly tokens: readonly number[];
}

/**
 * `count` ticks over instruments starting at `prices` (rupees), each tick of an instrument drawn at
 * random (not in turn), each instrument moving by `step`.
 */
export function walk(seed: string, count: number, prices: readonly number[], step: (i: number) => Step): Walk {
  const random = seededRandom(seed);
  const tokens = prices.map((_, i) => FIRST_TOKEN + i);
  const now = [...prices];
  const steps = prices.map((_, i) => step(i));
  const iso = '2025-08-11T04:00:00.000Z';
  const ticks: MarketTick[] = [];
  for (let n = 0; n < count; n++) {
    const i = Math.floor(random() * prices.length);
    now[i] = steps[i]!(now[i]!, random);
    ticks.push({ instrument_token: tokens[i]!, last_price: now[i]!, volume: n, exchange_timestamp: iso, timestamp: iso });
  }
  return { ticks, tokens };
}

/** Starting prices: mostly 100-3,000 rupees, with a few penny stocks and a few of 10,000-150,000. */
export function startingPrices(seed: string, n: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const rupees = i % 10 === 3 ? 0.05 + random() * 3 : i % 10 === 7 ? 10_000 + random() * 140_000 : 100 + random() * 2_900;
    return Math.max(5, 5 * Math.round((rupees * 100) / 5)) / 100;
  });
}

/** A signal as the tests compare it: where it was made and everything it says. */
export const signalText = (at: number, s: SignalIntent) => `${at} ${s.signal_type} ${s.instrument_token} ${s.quantity} ${s.reason}`;

/** The ticks of some instruments, each with its place in the walk. */
export function ticksOf(ticks: readonly MarketTick[], instruments: readonly number[]): Array<{ at: number; tick: MarketTick }> {
  const mine = new Set(instruments);
  const out: Array<{ at: number; tick: MarketTick }> = [];
  ticks.forEach((tick, at) => {
    if (mine.has(tick.instrument_token)) out.push({ at, tick });
  });
  return out;
}

/**
 * Runs one strategy instance over the ticks of its instruments with the position model of the recovery
 * test: what it holds changes the moment it makes a signal (every signal fills). Returns its signals.
 */
export function replay(strategy: Strategy<unknown, unknown>, params: unknown, instruments: readonly number[], ticks: ReadonlyArray<{ at: number; tick: MarketTick }>): string[] {
  const held = new Map<number, number>();
  const ctx: StrategyContext = { strategyId: 's', instruments, position: (t) => held.get(t) ?? 0 };
  let state = strategy.init(params, instruments);
  const out: string[] = [];
  for (const { at, tick } of ticks) {
    const r = strategy.onTick(state, tick, params, ctx);
    state = r.state;
    for (const s of r.signals) {
      held.set(s.instrument_token, ctx.position(s.instrument_token) + (s.signal_type === 'BUY' ? s.quantity : -s.quantity));
      out.push(signalText(at, s));
    }
  }
  return out;
}
