import type { Config } from '../src/config/schema.ts';
import { loadConfig } from '../src/config/load.ts';
import { InstrumentCatalogue, type Instrument } from '../src/market/instruments.ts';
import { seededRandom } from '../src/random.ts';
import type { StrategyInstance } from '../src/strategies/config.ts';
import { STRATEGIES } from '../src/strategies/registry.ts';

/**
 * The benchmark's market: `instruments` synthetic NSE-like instruments (the shipped catalogue has 48
 * real ones; a benchmark needs 500), 0.05 ticks, reference prices 100-3,000, and `strategies` instances
 * alternating simple_momentum and mean_reversion, each on one instrument. `quiet`: the same strategies
 * with thresholds no tick reaches (every tick judged, nothing signalled): the market side alone.
 */
export function benchUniverse(instruments: number, strategies: number, quiet = false): { catalogue: InstrumentCatalogue; instances: StrategyInstance[]; list: Instrument[] } {
  const random = seededRandom('bench-universe');
  const list: Instrument[] = Array.from({ length: instruments }, (_, i) => ({
    token: 5_000_001 + i,
    symbol: `BENCH${String(i + 1).padStart(4, '0')}`,
    exchange: 'NSE',
    segment: 'NSE',
    kind: 'equity',
    tradable: true,
    expiry: undefined,
    tick: 5,
    lotSize: 1,
    referencePrice: 5 * Math.round((10_000 + random() * 290_000) / 5),
  }));
  const momentum = STRATEGIES.get('simple_momentum')!;
  const meanrev = STRATEGIES.get('mean_reversion')!;
  const instances: StrategyInstance[] = Array.from({ length: strategies }, (_, i) => {
    const token = list[i % instruments]!.token;
    return i % 2 === 0
      ? { id: `mom-${i}`, strategy: momentum, instruments: [token], live: false, params: momentum.params.parse({ lookback_period: 20, momentum_threshold: quiet ? 0.9 : 0.002, position_size: 10 }) }
      : { id: `mr-${i}`, strategy: meanrev, instruments: [token], live: false, params: meanrev.params.parse({ window: 30, entry_std: quiet ? 1000 : 2, exit_std: 0.5, position_size: 10 }) };
  });
  return { catalogue: new InstrumentCatalogue(list), instances, list };
}

/**
 * The configuration the benchmarks run with: defaults, with Kite's order-rate limits and the exposure
 * limits lifted (the benchmark measures the pipeline, not how often the risk checker says no) and the
 * market-hours check off (synthetic time).
 */
export function benchConfig(overrides: Record<string, unknown> = {}): Config {
  return loadConfig({}, {
    risk: { ordersPerSecond: 1_000_000, ordersPerMinute: 10_000_000, ordersPerDay: 100_000_000, maxPositionPerInstrument: 1e9, maxPositionPerStrategy: 1e12, maxGrossExposure: 1e15, dailyLossLimit: 1e12, leverage: { equity: 1000, future: 1000 }, marketHours: { enabled: false } },
    trading: { squareOffAt: null },
    portfolio: { snapshotIntervalMs: 1000 },
    ...overrides,
  });
}
