import { expect } from 'vitest';
import { run, type RunResult } from '../../src/app/run.ts';
import { topicsFor } from '../../src/contracts/topics.ts';
import { rootLogger } from '../../src/log.ts';
import { toPaise } from '../../src/money.ts';
import { makeTransport, privateBroker, waitFor, type TransportKind } from '../support/harness.ts';
import { decodeAll, expectBookMatchesFills, expectChainsIntact, expectChargesIndependent, keepOpen, NIFTY_FEED, recordTopics, testConfig } from '../support/pipeline.ts';

/**
 * The whole embedded pipeline on one bus: the recorded NIFTY 50 day replayed (as its future) through
 * price caches, strategies, risk, paper execution and the portfolio, with every paper topic recorded
 * and read back from the log.
 */
export async function tradeRecordedDay(kind: TransportKind): Promise<RunResult> {
  const broker = kind === 'kafka' ? await privateBroker() : undefined;
  const transport = keepOpen(makeTransport(kind, 20, broker?.bootstrap));
  const config = testConfig(kind === 'kafka' ? { bus: 'kafka', kafka: { maxWaitTimeMs: 20 } } : {});
  const recorder = await recordTopics(transport, Object.values(topicsFor('paper')).filter((t) => !t.endsWith('pnl.snapshots') && !t.endsWith('risk.state')));
  try {
    const result = await run({ config, feed: NIFTY_FEED, stopWhenReplayed: true, status: false, log: rootLogger, transport });
    const pipeline = result.pipeline!;
    const s = pipeline.stats;
    expect(result.published).toBe(296);
    expect(pipeline.ticks).toBe(296);
    // Each signal leaves risk once, each validated signal one placement and fill (or failure), on the log.
    const expected = s.signals + s.validated + s.rejected + 2 * s.fills + s.failed;
    await waitFor(() => recorder.records.length >= expected, `${expected} paper events recorded (have ${recorder.records.length})`, 20_000);
    const events = decodeAll(recorder.records);
    const chains = expectChainsIntact(events);
    expect(chains.signals).toBe(s.signals);
    expect(chains.fills).toBe(s.fills);
    expect(chains.rejected).toBe(s.rejected);
    expect(s.fills).toBeGreaterThan(10);
    expect(s.rejected).toBeGreaterThan(0);
    expect(s.validated + s.rejected).toBe(s.signals);
    // Only the oversized strategy is refused: its entries (MAX_QUANTITY), and the exits it sent counting on
    // them before it heard they were refused (LONG_ONLY: a long-only strategy is never sold short).
    // How many exits it sends before the refusal arrives depends on timing, so LONG_ONLY may or may not appear.
    const refusals = new Set(events.flatMap((e) => (e.type === 'rejected_signal' ? [`${e.data.original_signal.strategy_id} ${e.data.reason_code}`] : [])));
    expect(refusals).toContain('nifty-oversized MAX_QUANTITY');
    for (const r of refusals) expect(['nifty-oversized MAX_QUANTITY', 'nifty-oversized LONG_ONLY']).toContain(r);
    const book = pipeline.portfolios.get('paper')!;
    expectBookMatchesFills(book, events, toPaise(config.trading.initialCapital));
    // Charged Zerodha's futures schedule of 2025-08-11, to the paisa, fill by fill.
    expect(expectChargesIndependent(events, config, result.catalogue)).toBe(s.fills);
    // Intraday: squared off by the system at 15:20 through the normal chain; the day ends flat.
    const squareOffs = events.filter((e) => e.type === 'trading_signal' && e.data.kind === 'square_off');
    expect(squareOffs.length).toBeGreaterThan(0);
    for (const so of squareOffs) {
      expect(so.type === 'trading_signal' && so.data.reason).toMatch(/square-off at 15:20/);
      expect(Date.parse((so.data as { timestamp: string }).timestamp)).toBeGreaterThanOrEqual(Date.parse('2025-08-11T09:50:00Z'));
      expect(events.some((e) => e.type === 'order_filled' && e.correlation_id === so.id), `square-off ${so.id} filled`).toBe(true);
    }
    for (const [id, account] of book.accounts) for (const [token, p] of account.positions) expect(p.quantity, `${id} in ${token} at the close`).toBe(0);
    // The TOTAL counts every configured account, traded or not.
    const total = result.data!.totals[0]!;
    expect(book.ids().sort()).toEqual(['nifty-meanrev', 'nifty-momentum', 'nifty-oversized']);
    expect(Math.round(total.cash * 100)).toBe(book.ids().reduce((sum, id) => sum + book.account(id).cash, 0));
    return result;
  } finally {
    await recorder.sub.stop();
    await transport.closeNow();
    await broker?.stop();
  }
}
