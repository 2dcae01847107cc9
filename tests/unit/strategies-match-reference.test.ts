import { describe, expect, it } from 'vitest';
import { REFERENCES } from './reference-strategies.ts';
import { mostlyOnGrid, offGrid, onTickGrid, replay, startingPrices, sticky, ticksOf, walk, withSpikes, type Walk } from './strategy-walks.ts';

/**
 * The O(1) built-ins against the code they replaced (tests/unit/reference-strategies.ts), over long
 * seeded walks: the same signals at the same ticks, reasons included, with positions that change the
 * moment a signal is made. Each instance trades four instruments of the walk.
 */

const PARAMS: ReadonlyArray<readonly [string, Record<string, number>]> = [
  ['simple_momentum', { lookback_period: 1, momentum_threshold: 0.0005, position_size: 3 }],
  ['simple_momentum', { lookback_period: 20, momentum_threshold: 0.002, position_size: 10 }],
  ['mean_reversion', { window: 2, entry_std: 0.5, exit_std: 0, position_size: 1 }],
  ['mean_reversion', { window: 5, entry_std: 1.5, exit_std: 0.5, position_size: 7 }],
  ['mean_reversion', { window: 30, entry_std: 2, exit_std: 0.5, position_size: 10 }],
  ['mean_reversion', { window: 100, entry_std: 1, exit_std: 0, position_size: 2 }],
  ['channel_breakout', { window: 2, position_size: 4 }],
  ['channel_breakout', { window: 20, position_size: 4 }],
  ['channel_breakout', { window: 100, position_size: 1 }],
];

const INSTRUMENTS = 40;
const groups = (w: Walk) => Array.from({ length: w.tokens.length / 4 }, (_, g) => w.tokens.slice(4 * g, 4 * g + 4));

function compare(w: Walk): { signals: number; sells: number } {
  let signals = 0;
  let sells = 0;
  const split = groups(w).map((instruments) => ({ instruments, ticks: ticksOf(w.ticks, instruments) }));
  for (const [name, raw] of PARAMS) {
    const { now, before } = REFERENCES.get(name)!;
    const params = now.params.parse(raw);
    for (const { instruments, ticks } of split) {
      const expected = replay(before, params, instruments, ticks);
      const got = replay(now, params, instruments, ticks);
      expect(got, `${name} ${JSON.stringify(raw)} on ${instruments.join(',')}`).toEqual(expected);
      signals += got.length;
      sells += got.filter((s) => s.includes(' SELL ')).length;
    }
  }
  return { signals, sells };
}

describe('the built-in strategies against the implementations they replaced', () => {
  it('make the same signals at the same ticks over 200,000 ticks of 40 instruments on the 0.05 grid', () => {
    const w = walk('grid', 200_000, startingPrices('grid', INSTRUMENTS), (i) => onTickGrid(i % 2 === 0 ? 0.0008 : 0.002));
    const made = compare(w);
    expect(made.signals).toBeGreaterThan(10_000);
    expect(made.sells).toBeGreaterThan(made.signals / 3);
  });

  it('make the same signals where no price is a whole number of paise', () => {
    const w = walk('off-grid', 50_000, startingPrices('off-grid', INSTRUMENTS), () => offGrid(0.001));
    expect(w.ticks.filter((t) => Math.round(t.last_price * 100) / 100 === t.last_price).length).toBeLessThan(100);
    expect(compare(w).signals).toBeGreaterThan(1_000);
  });

  it('make the same signals when prices leave the grid now and then and come back', () => {
    const w = walk('mostly-on-grid', 50_000, startingPrices('mostly', INSTRUMENTS), () => mostlyOnGrid(0.001, 40));
    expect(compare(w).signals).toBeGreaterThan(1_000);
  });

  it('make the same signals on prices that rarely move (flat windows, ties at the bands)', () => {
    const w = walk('sticky', 50_000, startingPrices('sticky', INSTRUMENTS), (i) => sticky(i % 2 === 0 ? 5 : 20));
    expect(compare(w).signals).toBeGreaterThan(1_000);
  });

  it('make the same signals through wild prints of a thousand times the price', () => {
    const w = walk('spikes', 50_000, startingPrices('spikes', INSTRUMENTS), () => withSpikes(onTickGrid(0.001), 300, 1000));
    expect(compare(w).signals).toBeGreaterThan(1_000);
  });
});
