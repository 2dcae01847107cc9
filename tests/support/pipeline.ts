import { expect } from 'vitest';
import type { InRecord, Transport } from '../../src/bus/transport.ts';
export { recordTopics } from './harness.ts';
import { delegate } from './harness.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { decode } from '../../src/contracts/codec.ts';
import type { AnyEnvelope } from '../../src/contracts/envelope.ts';
import { istDate } from '../../src/market/market-hours.ts';
import type { InstrumentCatalogue } from '../../src/market/instruments.ts';
import type { PortfolioBook } from '../../src/portfolio/book.ts';
import { independentCharges } from './charges.ts';

export const NIFTY_DAY = 'data/nifty50-5min-2025-08-11.csv';
/** The recorded index day replayed as its future (an index cannot be ordered; the future follows it). */
export const NIFTY_FUTURE = 'NIFTY25AUGFUT';
export const NIFTY_FEED = { kind: 'replay', file: NIFTY_DAY, as: NIFTY_FUTURE } as const;
export const FIXTURE_STRATEGIES = 'tests/fixtures/strategies.yaml';

/** The default configuration with the test strategies and any overrides (validated like a user's). */
export function testConfig(overrides: Record<string, unknown> = {}): Config {
  const { trading, database, ...rest } = overrides as { trading?: Record<string, unknown>; database?: Record<string, unknown> };
  // No database unless the test asks for one: a database test gives its own.
  return loadConfig({}, { trading: { strategiesFile: FIXTURE_STRATEGIES, ...trading }, database: { enabled: false, ...database }, ...rest });
}

/** Decodes every record with the wire contract: an invalid envelope fails the test here. */
export function decodeAll(records: readonly InRecord[]): AnyEnvelope[] {
  return records.map((r) => {
    const d = decode(r.value, r.topic);
    if (!d.ok) throw new Error(`invalid event on ${r.topic} at offset ${r.offset}: ${d.error.message}`);
    return d.event;
  });
}

/**
 * Every chain intact: each validated/rejected signal names its signal as cause, each placement its
 * validation, each fill its placement, each failure its validation; all keep the signal's correlation id
 * (a signal starts its chain: its correlation id is its own id).
 */
export function expectChainsIntact(events: readonly AnyEnvelope[]): { signals: number; fills: number; rejected: number } {
  const byId = new Map(events.map((e) => [e.id, e]));
  const parentType: Record<string, string> = { validated_signal: 'trading_signal', rejected_signal: 'trading_signal', order_placed: 'validated_signal', order_filled: 'order_placed', order_failed: 'validated_signal' };
  let fills = 0;
  let rejected = 0;
  let signals = 0;
  for (const e of events) {
    if (e.type === 'trading_signal') {
      signals++;
      expect(e.correlation_id).toBe(e.id);
      continue;
    }
    const want = parentType[e.type];
    if (!want) continue;
    const parent = byId.get(e.causation_id!);
    expect(parent, `${e.type} ${e.id} names cause ${e.causation_id}, which is not on the log`).toBeDefined();
    expect(parent!.type).toBe(want);
    expect(e.correlation_id).toBe(parent!.correlation_id);
    if (e.type === 'order_filled') fills++;
    if (e.type === 'rejected_signal') rejected++;
  }
  return { signals, fills, rejected };
}

/** The portfolio's positions and cash are exactly what its fills add up to. */
export function expectBookMatchesFills(book: PortfolioBook, events: readonly AnyEnvelope[], initialCashPaise: number): void {
  const qty = new Map<string, number>();
  const cash = new Map<string, number>();
  for (const e of events) {
    if (e.type !== 'order_filled') continue;
    const f = e.data;
    const signed = f.signal_type === 'BUY' ? f.quantity : -f.quantity;
    const k = `${f.strategy_id}|${f.instrument_token}`;
    qty.set(k, (qty.get(k) ?? 0) + signed);
    cash.set(f.strategy_id, (cash.get(f.strategy_id) ?? initialCashPaise) - signed * Math.round(f.fill_price * 100) - Math.round(f.fees * 100));
  }
  const held = new Map<string, number>();
  for (const [id, a] of book.accounts) {
    for (const [token, p] of a.positions) held.set(`${id}|${token}`, p.quantity);
    expect(a.cash, `cash of ${id}`).toBe(cash.get(id) ?? initialCashPaise);
  }
  expect(held).toEqual(qty);
}

/** The transport a run uses, left open when the run closes it, so a recorder can finish reading. */
export function keepOpen(t: Transport): Transport & { closeNow(): Promise<void> } {
  return {
    ...delegate(t),
    close: async () => undefined,
    closeNow: () => t.close(),
  };
}

/**
 * Every fill on the log is charged what an independent calculation of the schedule in force on its
 * trade date says, to the paisa, each charge on its own; and its fees are the sum of its breakdown.
 * Returns how many fills were checked.
 */
export function expectChargesIndependent(events: readonly AnyEnvelope[], config: Config, catalogue: InstrumentCatalogue): number {
  let checked = 0;
  for (const e of events) {
    if (e.type !== 'order_filled') continue;
    const f = e.data;
    const segment = catalogue.get(f.instrument_token)!.kind === 'future' ? 'futures' : 'equity_intraday';
    const want = independentCharges(config.fees, segment, istDate(Date.parse(f.timestamp)), f.signal_type, f.quantity, f.fill_price);
    const got = Object.fromEntries(Object.entries(f.fee_breakdown).map(([k, v]) => [k, Math.round(v * 100)]));
    expect(got, `charges of ${f.order_id}`).toEqual(want.paise);
    expect(f.fee_schedule).toBe(want.schedule);
    expect(Math.round(f.fees * 100)).toBe(Object.values(want.paise).reduce((a, b) => a + b, 0));
    checked++;
  }
  return checked;
}
