import type { MarketTick } from '../src/contracts/events.ts';
import { SimMarket } from '../src/feeds/sim.ts';
import type { StrategyInstance } from '../src/strategies/config.ts';
import type { Strategy, StrategyContext } from '../src/strategies/sdk.ts';
import { REFERENCES } from '../tests/unit/reference-strategies.ts';
import { alternate, flags, profiled, ratio, type Summary, type Workload } from './measure.ts';
import { benchUniverse } from './universe.ts';

export interface OnTickFigures {
  readonly ticks: number;
  readonly instruments: number;
  readonly strategies: number;
  /** Each tick goes to its instrument's strategies: this many onTick calls per tick. */
  readonly callsPerTick: number;
  /** The built-ins as they were: immutable state, `roll` (a new Map and two window copies per tick). */
  readonly before: Summary;
  /** The built-ins on the O(1) SDK: ring buffers, exact running sums, monotonic deques, state kept in place. */
  readonly now: Summary;
  /**
   * The new built-ins with thresholds no tick reaches: every tick judged, none signalled. What the steady
   * state allocates per tick apart from signals (a signal's intent, array and reason string are the rest).
   */
  readonly nowQuiet: Summary;
  /** now / before, medians of ticks per second. */
  readonly speedup: number;
  /** Signals made per round by each: before and now equal, or the two are not doing the same work. */
  readonly signalsPerRound: { readonly before: number; readonly now: number; readonly nowQuiet: number };
  readonly flags: readonly string[];
}

interface Running {
  readonly strategy: Strategy<unknown, unknown>;
  readonly params: unknown;
  state: unknown;
  readonly ctx: StrategyContext;
  readonly held: Map<number, number>;
}

/** The pipeline benchmark's ticks: the simulator's walk over the universe, depth and all. */
function ticksFor(count: number, instruments: number): MarketTick[] {
  const { list } = benchUniverse(instruments, 0);
  const market = new SimMarket(list, 'bench-ticks', 0.0008);
  const t0 = Date.UTC(2025, 7, 11, 4, 0);
  return Array.from({ length: count }, (_, i) => market.tick(t0 + i));
}

/** The universe's instances, each run by `pick` (the built-in itself, or its reference), grouped by instrument. */
function runners(instances: readonly StrategyInstance[], pick: (s: Strategy<unknown, unknown>) => Strategy<unknown, unknown>, params: (i: StrategyInstance) => unknown = (i) => i.params): Map<number, Running[]> {
  const byToken = new Map<number, Running[]>();
  for (const i of instances) {
    const strategy = pick(i.strategy);
    const held = new Map<number, number>();
    const p = params(i);
    const r: Running = { strategy, params: p, state: strategy.init(p, i.instruments), held, ctx: { strategyId: i.id, instruments: i.instruments, position: (t) => held.get(t) ?? 0 } };
    for (const t of i.instruments) (byToken.get(t) ?? byToken.set(t, []).get(t)!).push(r);
  }
  return byToken;
}

/**
 * The bare loop a strategy actor's tick comes down to: every tick to each strategy of its instrument,
 * the returned state kept, each signal filled at once (what the strategy holds changes as it signals).
 * State carries over from round to round, so rounds after the warm-up measure the steady state.
 */
function loop(ticks: readonly MarketTick[], byToken: Map<number, Running[]>): number {
  let signals = 0;
  // Indexed loops, not for-of: an array iterator the optimiser cannot remove would be the loop's own
  // allocation, counted against the strategies (a frozen NO_SIGNALS and fresh arrays make that site
  // polymorphic).
  for (let i = 0; i < ticks.length; i++) {
    const tick = ticks[i]!;
    const list = byToken.get(tick.instrument_token);
    if (list === undefined) continue;
    for (let j = 0; j < list.length; j++) {
      const r = list[j]!;
      const result = r.strategy.onTick(r.state, tick, r.params, r.ctx);
      r.state = result.state;
      const made = result.signals;
      for (let k = 0; k < made.length; k++) {
        const s = made[k]!;
        r.held.set(s.instrument_token, (r.held.get(s.instrument_token) ?? 0) + (s.signal_type === 'BUY' ? s.quantity : -s.quantity));
        signals++;
      }
    }
  }
  return signals;
}

/** The bare onTick loop of `instances` (the built-ins as they are) over `ticks`, as a workload for measure.ts. */
export function onTickWorkload(ticks: readonly MarketTick[], instances: readonly StrategyInstance[]): Workload<unknown> {
  const byToken = runners(instances, (s) => s);
  return { units: ticks.length, run: () => void loop(ticks, byToken) };
}

/**
 * The strategies' own cost per tick: the universe of the pipeline benchmark (1,000 strategies,
 * simple_momentum and mean_reversion alternating, over 500 instruments), the same pre-generated simulator
 * ticks through the bare onTick loop, for the built-ins as they were (tests/unit/reference-strategies.ts)
 * and as they are, in alternating rounds of one process (bench/measure.ts).
 */
export async function benchOnTick(count = 100_000, instruments = 500, strategies = 1000, options: { rounds?: number } = {}): Promise<OnTickFigures> {
  const ticks = ticksFor(count, instruments);
  const { instances } = benchUniverse(instruments, strategies);
  const before = runners(instances, (s) => REFERENCES.get(s.name)!.before);
  const now = runners(instances, (s) => s);
  const never = (i: StrategyInstance) => i.strategy.params.parse({ ...(i.params as object), ...(i.strategy.name === 'simple_momentum' ? { momentum_threshold: 1 } : { entry_std: 1e9 }) });
  const quiet = runners(instances, (s) => s, never);
  const made = { before: 0, now: 0, nowQuiet: 0 };
  const summaries = await profiled('strategies', () =>
    alternate(
      {
        before: { units: count, run: () => void (made.before = loop(ticks, before)) },
        now: { units: count, run: () => void (made.now = loop(ticks, now)) },
        nowQuiet: { units: count, run: () => void (made.nowQuiet = loop(ticks, quiet)) },
      },
      { rounds: options.rounds ?? 7 },
    ),
  );
  const calls = ticks.reduce((n, t) => n + (now.get(t.instrument_token)?.length ?? 0), 0);
  return {
    ticks: count,
    instruments,
    strategies,
    callsPerTick: +(calls / count).toFixed(2),
    before: summaries.before,
    now: summaries.now,
    nowQuiet: summaries.nowQuiet,
    speedup: ratio(summaries.now, summaries.before),
    signalsPerRound: made,
    flags: flags(),
  };
}

if (import.meta.main) console.log(JSON.stringify(await benchOnTick(), null, 2));
