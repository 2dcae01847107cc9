import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import type { MarketTick } from '../../src/contracts/events.ts';
import { STRATEGIES } from '../../src/strategies/registry.ts';
import { NO_SIGNALS, type Strategy, type StrategyContext } from '../../src/strategies/sdk.ts';
import { onTickGrid, startingPrices, walk } from './strategy-walks.ts';

/** What the shell and the warm-up rely on: state kept in place, carried over a reconfiguration, and nothing allocated by a quiet tick. */

const BUILT_INS: ReadonlyArray<readonly [string, Record<string, number>, Record<string, number>]> = [
  // name, params, the same with another window size
  ['simple_momentum', { lookback_period: 20, momentum_threshold: 0.002, position_size: 10 }, { lookback_period: 7, momentum_threshold: 0.002, position_size: 10 }],
  ['mean_reversion', { window: 30, entry_std: 1.5, exit_std: 0.5, position_size: 10 }, { window: 12, entry_std: 1.5, exit_std: 0.5, position_size: 10 }],
  ['channel_breakout', { window: 20, position_size: 4 }, { window: 9, position_size: 4 }],
];

const ctxOf = (held: Map<number, number>, instruments: readonly number[]): StrategyContext => ({ strategyId: 's', instruments, position: (t) => held.get(t) ?? 0 });

/** Runs ticks through an instance, filling every signal at once; returns the state and the signals, as `tick index: signal`. */
function run(strategy: Strategy<unknown, unknown>, params: unknown, state: unknown, ticks: readonly MarketTick[], held: Map<number, number>, instruments: readonly number[]): { state: unknown; signals: string[] } {
  const ctx = ctxOf(held, instruments);
  const signals: string[] = [];
  ticks.forEach((tick, at) => {
    const r = strategy.onTick(state, tick, params, ctx);
    state = r.state;
    for (const s of r.signals) {
      held.set(s.instrument_token, ctx.position(s.instrument_token) + (s.signal_type === 'BUY' ? s.quantity : -s.quantity));
      signals.push(`${at}: ${s.signal_type} ${s.quantity} ${s.reason}`);
    }
  });
  return { state, signals };
}

describe('strategy state kept in place', () => {
  const w = walk('state', 20_000, startingPrices('state', 4), () => onTickGrid(0.002));

  it.each(BUILT_INS)('%s: a tick that sends nothing returns the state it was given and one shared result, whatever the instrument', (name, raw) => {
    const strategy = STRATEGIES.get(name)!;
    const params = strategy.params.parse(raw);
    const state = strategy.init(params, w.tokens);
    const ctx = ctxOf(new Map(), w.tokens);
    const quiet = w.ticks.map((t) => strategy.onTick(state, t, params, ctx)).filter((r) => r.signals.length === 0);
    expect(quiet.length).toBeGreaterThan(1_000);
    expect(new Set(quiet).size).toBe(1);
    expect(quiet[0]!.state).toBe(state);
    expect(quiet[0]!.signals).toBe(NO_SIGNALS);
    const other = strategy.onTick(state, { ...w.ticks[0]!, instrument_token: 1 }, params, ctx);
    expect([other, (state as Map<number, unknown>).get(1)]).toEqual([quiet[0], undefined]);
  });

  it.each(BUILT_INS)('%s: reconfigured with another window size, carries its newest prices over and decides as a new instance fed them', (name, raw, resized) => {
    const strategy = STRATEGIES.get(name)!;
    const [before, after] = [strategy.params.parse(raw), strategy.params.parse(resized)];
    const one = [w.tokens[0]!];
    const ticks = w.ticks.filter((t) => t.instrument_token === one[0]);
    const [history, rest] = [ticks.slice(0, 1_000), ticks.slice(1_000)];
    for (const [from, to] of [[before, after], [after, before]]) {
      const held = new Map<number, number>();
      const carried = run(strategy, from, strategy.init(from, one), history, held, one).state;
      const continued = run(strategy, to, carried, rest, new Map(held), one).signals;
      // A new instance with the new size, fed (signals off) the prices the carried state kept: as many as both sizes hold.
      const kept = Math.min(...[from, to].map((p) => (p as Record<string, number>).lookback_period! + 1 || (p as Record<string, number>).window!));
      const fresh = run(strategy, to, strategy.init(to, one), history.slice(-kept), new Map([[one[0]!, 1]]), one).state;
      expect(run(strategy, to, fresh, rest, new Map(held), one).signals).toEqual(continued);
      expect(continued.length).toBeGreaterThan(20);
    }
  });

  it('a tick that sends nothing allocates nothing, once the code is warm', () => {
    // Thresholds no tick reaches: every tick takes the full path (window full, bands and channel judged) and sends nothing.
    const quiet: ReadonlyArray<readonly [string, Record<string, number>]> = [
      ['simple_momentum', { lookback_period: 20, momentum_threshold: 1, position_size: 10 }],
      ['mean_reversion', { window: 30, entry_std: 1e6, exit_std: 0.5, position_size: 10 }],
      ['channel_breakout', { window: 20, position_size: 4 }],
    ];
    const held = new Map(w.tokens.map((t) => [t, -1]));
    const ctx = ctxOf(held, w.tokens);
    const runners = quiet.map(([name, raw]) => {
      const strategy = STRATEGIES.get(name)!;
      const params = strategy.params.parse(raw);
      return { strategy, params, state: strategy.init(params, w.tokens) };
    });
    const loop = () => {
      let signals = 0;
      for (let i = 0; i < w.ticks.length; i++) {
        for (let j = 0; j < runners.length; j++) {
          const r = runners[j]!;
          const result = r.strategy.onTick(r.state, w.ticks[i]!, r.params, ctx);
          r.state = result.state;
          signals += result.signals.length;
        }
      }
      return signals;
    };
    for (let warm = 0; warm < 20; warm++) loop();
    // Bytes allocated per onTick over five passes; the least of three tries, in case the optimising
    // compiler (on a background thread of a busy machine) had not finished when one began.
    const tries = [0, 1, 2].map(() => {
      const profiler = new v8.GCProfiler();
      const used = v8.getHeapStatistics().used_heap_size;
      profiler.start();
      let signals = 0;
      for (let round = 0; round < 5; round++) signals += loop();
      const after = v8.getHeapStatistics().used_heap_size;
      const freed = (profiler.stop()?.statistics ?? []).reduce((n, gc) => n + gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize, 0);
      expect(signals).toBe(0);
      return (after - used + freed) / (5 * w.ticks.length * runners.length);
    });
    // One boxed double per onTick would be 16 bytes.
    expect(Math.min(...tries)).toBeLessThan(1);
  });
});
