import { describe, expect, it } from 'vitest';
import type { MarketTick } from '../../src/contracts/events.ts';
import { STRATEGIES } from '../../src/strategies/registry.ts';
import type { Strategy, StrategyContext } from '../../src/strategies/sdk.ts';
import { mostlyOnGrid, onTickGrid, signalText, startingPrices, sticky, walk, withSpikes, type Step } from './strategy-walks.ts';

/**
 * The warm-up (src/app/warm-up.ts) replays only the recent ticks, so a strategy started late must, once
 * its window is full, decide exactly as one that ran from the beginning: its state is a function of the
 * recent window alone. Both instances here are asked with the same positions (those of the one that ran
 * throughout), so any difference is the state's.
 */

const PARAMS: ReadonlyArray<readonly [string, Record<string, number>, number]> = [
  // name, params, ticks of an instrument the state needs before it decides as a full window
  ['simple_momentum', { lookback_period: 20, momentum_threshold: 0.002, position_size: 10 }, 21],
  ['mean_reversion', { window: 2, entry_std: 0.5, exit_std: 0, position_size: 1 }, 2],
  ['mean_reversion', { window: 30, entry_std: 2, exit_std: 0.5, position_size: 10 }, 30],
  ['mean_reversion', { window: 100, entry_std: 1, exit_std: 0, position_size: 2 }, 100],
  ['channel_breakout', { window: 20, position_size: 4 }, 20],
];

/** Signals of an instance that runs from the first tick, and of one that starts at `from`, per tick, once full. */
function bothRuns(strategy: Strategy<unknown, unknown>, params: unknown, instruments: readonly number[], ticks: readonly MarketTick[], from: number, needs: number): { early: string[]; late: string[] } {
  const held = new Map<number, number>();
  const ctx: StrategyContext = { strategyId: 's', instruments, position: (t) => held.get(t) ?? 0 };
  let a = strategy.init(params, instruments);
  let b = strategy.init(params, instruments);
  const seen = new Map<number, number>();
  const early: string[] = [];
  const late: string[] = [];
  ticks.forEach((tick, at) => {
    const ra = strategy.onTick(a, tick, params, ctx);
    a = ra.state;
    if (at >= from) {
      const n = (seen.get(tick.instrument_token) ?? 0) + 1;
      seen.set(tick.instrument_token, n);
      const rb = strategy.onTick(b, tick, params, ctx);
      b = rb.state;
      if (n > needs) {
        early.push(...ra.signals.map((s) => signalText(at, s)));
        late.push(...rb.signals.map((s) => signalText(at, s)));
      }
    }
    for (const s of ra.signals) held.set(s.instrument_token, ctx.position(s.instrument_token) + (s.signal_type === 'BUY' ? s.quantity : -s.quantity));
  });
  return { early, late };
}

function check(seed: string, count: number, step: (i: number) => Step): number {
  const w = walk(seed, count, startingPrices(seed, 8), step);
  let compared = 0;
  for (const [name, raw, needs] of PARAMS) {
    const strategy = STRATEGIES.get(name)!;
    const params = strategy.params.parse(raw);
    for (const from of [1, 977, 20_011]) {
      const { early, late } = bothRuns(strategy, params, w.tokens, w.ticks, from, needs);
      expect(late, `${name} ${JSON.stringify(raw)} started at tick ${from}`).toEqual(early);
      compared += early.length;
    }
  }
  return compared;
}

describe('a built-in strategy started late', () => {
  it('decides as one that ran from the start once its window is full, on the 0.05 grid', () => {
    expect(check('late-grid', 60_000, (i) => onTickGrid(i % 2 === 0 ? 0.0008 : 0.002))).toBeGreaterThan(5_000);
  });

  it('decides as one that ran from the start after wild prints and prices off the grid had left its window', () => {
    expect(check('late-wild', 60_000, (i) => (i % 2 === 0 ? withSpikes(onTickGrid(0.001), 200, 10_000) : mostlyOnGrid(0.001, 30)))).toBeGreaterThan(5_000);
  });

  it('decides as one that ran from the start on prices that rarely move', () => {
    expect(check('late-sticky', 60_000, () => sticky(4))).toBeGreaterThan(1_000);
  });
});
