import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { EXIT, exitCodeOf } from '../../src/cli/exit-codes.ts';
import { addReportCommand } from '../../src/cli/report.ts';
import { loadConfig } from '../../src/config/load.ts';
import { createEvent, type Envelope } from '../../src/contracts/envelope.ts';
import type { FailureCode, TradingSignal } from '../../src/contracts/events.ts';
import type { BrokerNamespace } from '../../src/contracts/topics.ts';
import { DbChainStore } from '../../src/db/chain-store.ts';
import { Database } from '../../src/db/database.ts';
import { ledgerDivergence, type DivergenceQuery } from '../../src/divergence/ledger-divergence.ts';
import { divergenceText } from '../../src/divergence/render.ts';
import { derivedId } from '../../src/ids.ts';
import { rootLogger } from '../../src/log.ts';
import { InstrumentCatalogue } from '../../src/market/instruments.ts';
import { freshPostgres, type TestDatabase } from '../support/databases.ts';

const catalogue = InstrumentCatalogue.load('config/instruments.csv');
const INFY = catalogue.bySymbolLoose('INFY')!.token;
const TCS = catalogue.bySymbolLoose('TCS')!.token;
const symbol = (t: number) => catalogue.get(t)?.symbol ?? String(t);

interface Outcome {
  /** [quantity, price, fees, ms after the risk decision], rupees. */
  readonly fills?: ReadonlyArray<readonly [number, number, number, number]>;
  readonly failed?: FailureCode;
}

/** One namespace's chain for a signal, made as the risk checker and the execution actor make it. */
function chain(ns: BrokerNamespace, s: TradingSignal, o: Outcome): Envelope[] {
  const decided = Date.parse(s.timestamp) + 1_000;
  const key = s.strategy_id;
  const raw = createEvent({ type: 'trading_signal', broker: ns, source: `strategy/${key}@t`, key, data: s, startsChain: true, now: decided - 1, id: derivedId(s.signal_id, ns) });
  const verdict = createEvent({ type: 'validated_signal', broker: ns, source: `risk/${ns}`, key, data: { original_signal: s, validated_quantity: s.quantity, validated_price: s.price, risk_checks: [], timestamp: s.timestamp }, cause: raw, now: decided, id: derivedId(raw.id, 'verdict') });
  const base = { signal_id: s.signal_id, strategy_id: key, instrument_token: s.instrument_token, signal_type: s.signal_type, quantity: s.quantity, execution_mode: ns, timestamp: s.timestamp };
  if (o.failed) return [verdict, createEvent({ type: 'order_failed', broker: ns, source: `execution/${ns}`, key, data: { ...base, order_id: null, price: s.price, reason_code: o.failed, error_message: 'RMS: margin exceeds' }, cause: verdict, now: decided + 40, id: derivedId(verdict.id, 'failed') })];
  const orderId = `${ns}-${s.signal_id.slice(0, 8)}`;
  const placed = createEvent({ type: 'order_placed', broker: ns, source: `execution/${ns}`, key, data: { ...base, order_id: orderId, price: s.price }, cause: verdict, now: decided + 2, id: derivedId(verdict.id, 'placed') });
  const fills = (o.fills ?? []).map(([quantity, price, fees, ms], i) =>
    createEvent({ type: 'order_filled', broker: ns, source: `execution/${ns}`, key, data: { ...base, quantity, order_id: orderId, fill_id: String(i + 1), fill_price: price, fees, fee_breakdown: { brokerage: fees, stt: 0, transaction: 0, ipft: 0, sebi: 0, gst: 0, stamp: 0 }, fee_schedule: 'test' }, cause: placed, now: decided + ms, id: derivedId(placed.id, 'fill', i + 1) }),
  );
  return [verdict, placed, ...fills];
}

function signal(name: string, strategy: string, token: number, side: 'BUY' | 'SELL', quantity: number, price: number, timestamp = '2025-08-11T04:00:00.000Z'): TradingSignal {
  return { signal_id: derivedId('signal', name), strategy_id: strategy, instrument_token: token, signal_type: side, quantity, price, timestamp };
}

const BUY = signal('buy', 'momo', INFY, 'BUY', 4, 1500);
const SELL = signal('sell', 'momo', INFY, 'SELL', 5, 1500, '2025-08-11T04:05:00.000Z');
const PAPER_ONLY = signal('paper-only', 'steady', TCS, 'BUY', 2, 3030);
const EARLIER = signal('earlier', 'momo', INFY, 'BUY', 1, 1490, '2025-08-08T05:00:00.000Z');

async function write(db: Database): Promise<void> {
  const store = new DbChainStore(db, systemClock, rootLogger);
  await store.record('paper', [
    ...chain('paper', BUY, { fills: [[4, 1500.1, 4.5, 5]] }),
    ...chain('paper', SELL, { fills: [[5, 1499.9, 4, 5]] }),
    ...chain('paper', PAPER_ONLY, { fills: [[2, 3030.1, 3, 6]] }),
    ...chain('paper', EARLIER, { fills: [[1, 1490, 1, 4]] }),
  ]);
  // Live fills the BUY in three parts as the broker reports them, and refuses the SELL.
  await store.record('zerodha', [...chain('zerodha', BUY, { fills: [[1, 1500.1, 1, 120], [2, 1500.2, 1.5, 180], [1, 1500.5, 1, 250]] }), ...chain('zerodha', SELL, { failed: 'BROKER_REJECTED' })]);
  store.close();
}

/** The PGlite a `run` keeps in a folder (the command opens it again), and a fresh PostgreSQL database. */
const BACKENDS: ReadonlyArray<{ readonly name: string; make(): Promise<TestDatabase> | TestDatabase }> = [
  {
    name: 'PGlite',
    make: () => {
      const root = mkdtempSync(join(tmpdir(), 'ap-divergence-'));
      return { settings: { enabled: true, url: null, dir: join(root, 'db') }, url: null, drop: async () => rmSync(root, { recursive: true, force: true }) };
    },
  },
  { name: 'PostgreSQL', make: freshPostgres },
];

describe.each(BACKENDS)('the divergence report on $name', ({ make }) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await make();
    const db = await Database.open(t.settings, rootLogger);
    try {
      await db.migrate();
      await write(db);
    } finally {
      await db.close();
    }
  }, 60_000);
  afterAll(async () => {
    await t?.drop();
  });

  async function read(query: DivergenceQuery = {}) {
    const db = await Database.open(t.settings, rootLogger);
    try {
      return await ledgerDivergence(db, query);
    } finally {
      await db.close();
    }
  }

  /** `alpha-panda report divergence ...` in process, as main.ts wires it. */
  async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const program = new Command('alpha-panda').exitOverride().configureOutput({ writeErr: (s) => (err += s) });
    addReportCommand(program, () => ({ config: loadConfig({}, { database: t.settings }), log: rootLogger }));
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
    try {
      await program.parseAsync(['report', 'divergence', ...args], { from: 'user' });
      return { code: EXIT.ok, out, err };
    } catch (e) {
      return { code: exitCodeOf(e), out, err };
    } finally {
      stdout.mockRestore();
    }
  }

  it('reads the latest day back from the ledger: each side of a signal traded both ways, and the differences', async () => {
    const r = await read();
    expect(r.day).toBe('2025-08-11');
    expect(r.chains.map((c) => [c.signal_id, c.mismatch])).toEqual([[BUY.signal_id, 'none'], [SELL.signal_id, 'outcome']]);
    const buy = r.chains[0]!;
    expect(buy.paper).toEqual({ outcome: 'filled', validated_quantity: 4, filled_quantity: 4, fills: 1, reason_code: null, order_id: `paper-${BUY.signal_id.slice(0, 8)}`, average_price: 1500.1, slippage: 0.1, slippage_bps: 0.67, slippage_cost: 0.4, fees: 4.5, first_fill_ms: 5, last_fill_ms: 5 });
    expect(buy.live).toEqual({ outcome: 'filled', validated_quantity: 4, filled_quantity: 4, fills: 3, reason_code: null, order_id: `zerodha-${BUY.signal_id.slice(0, 8)}`, average_price: 1500.25, slippage: 0.25, slippage_bps: 1.67, slippage_cost: 1, fees: 3.5, first_fill_ms: 120, last_fill_ms: 250 });
    expect(buy.differences).toEqual({ filled_quantity: 0, fees: -1, average_price: 0.15, average_price_bps: 1, slippage_cost: 0.6 });
    expect(r.chains[1]!.live).toMatchObject({ outcome: 'failed', reason_code: 'BROKER_REJECTED', order_id: null });
  });

  it('sums the day per strategy and in total; the paper-only chain is counted, not compared', async () => {
    const { summary } = await read();
    const figures = { chains: 2, mismatches: { outcome: 1, quantity: 0, open: 0 }, bothFilled: 1, meanPriceDifferenceBps: 1, worstPriceDifferenceBps: 1, slippageCostDifferencePaise: 60, feesDifferencePaise: -100, latencyMs: { paper: { firstFill: { p50: 5, p95: 5 }, lastFill: { p50: 5, p95: 5 } }, live: { firstFill: { p50: 120, p95: 120 }, lastFill: { p50: 250, p95: 250 } } } };
    expect(summary).toEqual({ strategies: [{ strategyId: 'momo', ...figures }], total: figures, unpaired: { paperOnly: 1, liveOnly: 0 } });
  });

  it('says plainly that a day with no live rows has nothing to compare, rather than printing an empty table', async () => {
    const r = await read({ day: '2025-08-08' });
    expect([r.chains, r.summary.unpaired]).toEqual([[], { paperOnly: 1, liveOnly: 0 }]);
    expect(divergenceText(r, { symbol, worst: 10 })).toBe('nothing traded live (zerodha) on 2025-08-08: its 1 paper chain(s) had no live side to compare with');
    expect(divergenceText(await read({ strategy: 'nobody' }), { strategy: 'nobody', symbol, worst: 10 })).toBe('the ledger holds no paper or live rows for strategy nobody: nothing has been traded yet');
    expect(divergenceText(await read({ day: '2025-08-09' }), { symbol, worst: 10 })).toBe('the ledger holds nothing on 2025-08-09');
  });

  it('prints the per-strategy table with its total, then the worst chains, mismatched outcomes first', async () => {
    const { code, out } = await cli([]);
    expect(code).toBe(EXIT.ok);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toBe('paper against live on 2025-08-11: 2 signal(s) traded both ways');
    const cells = (first: string) => lines.find((l) => l.startsWith(first))!.split(/\s{2,}/);
    const row = ['2', '1', '0', '0', '1', '+1.00', '+1.00', '+0.60', '-1.00', '5/5', '5/5', '120/120', '250/250'];
    expect(cells('momo ')).toEqual(['momo', ...row]);
    expect(cells('TOTAL')).toEqual(['TOTAL', ...row]);
    expect(out).toContain('Not compared: 1 paper-only chain(s) (not traded live), 0 live-only chain(s) (no paper shadow).');
    const worst = lines.slice(lines.indexOf('worst 2 of 2 chains') + 3);
    expect(worst.map((l) => l.split(/\s{2,}/))).toEqual([
      [SELL.signal_id.slice(0, 8), 'momo', 'INFY', 'SELL', '5', 'filled 5 @ 1,499.90', 'failed BROKER_REJECTED', '-', '-', '-4.00', 'outcome'],
      [BUY.signal_id.slice(0, 8), 'momo', 'INFY', 'BUY', '4', 'filled 4 @ 1,500.10', 'filled 4 @ 1,500.25', '+0.15', '+1.00', '-1.00', 'none'],
    ]);
  });

  it('--json prints the summary and every chain compared, --strategy and --day narrow it', async () => {
    const all = await cli(['--json']);
    expect(all.code).toBe(EXIT.ok);
    expect(JSON.parse(all.out)).toEqual(JSON.parse(JSON.stringify(await read())));
    const steady = JSON.parse((await cli(['--json', '--strategy', 'steady', '--day', '2025-08-11'])).out);
    expect([steady.day, steady.chains, steady.summary.unpaired]).toEqual(['2025-08-11', [], { paperOnly: 1, liveOnly: 0 }]);
  });

  it('refuses a --day that is not a date with the usage exit code, before opening anything', async () => {
    for (const day of ['11-08-2025', '2025-02-30', 'yesterday']) {
      const r = await cli(['--day', day]);
      expect([r.code, r.out]).toEqual([EXIT.usage, '']);
      expect(r.err).toContain(`--day takes a trading day as YYYY-MM-DD, got '${day}'`);
    }
  });
});
