import { expect } from 'vitest';
import { run, type RunResult } from '../../src/app/run.ts';
import { topicsFor } from '../../src/contracts/topics.ts';
import { rootLogger } from '../../src/log.ts';
import { toPaise } from '../../src/money.ts';
import { makeTransport, waitFor, type TransportKind } from '../support/harness.ts';
import { decodeAll, expectBookMatchesFills, expectChainsIntact, keepOpen, NIFTY_FEED, recordTopics, testConfig } from '../support/pipeline.ts';

/**
 * The whole embedded pipeline on one bus: the recorded NIFTY 50 day replayed through price caches,
 * strategies, risk, paper execution and the portfolio, with every paper topic recorded and checked.
 */
export async function tradeRecordedDay(kind: TransportKind): Promise<RunResult> {
  const transport = keepOpen(makeTransport(kind));
  const config = testConfig(kind === 'kafka' ? { bus: 'kafka', kafka: { maxWaitTimeMs: 20 } } : {});
  const recorder = await recordTopics(transport, Object.values(topicsFor('paper')).filter((t) => !t.endsWith('pnl.snapshots')));
  try {
    const result = await run({ config, feed: NIFTY_FEED, stopWhenReplayed: true, status: false, log: rootLogger, transport });
    const s = result.pipeline!.stats;
    expect(result.published).toBe(296);
    expect(result.pipeline!.ticks).toBe(296);
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
    expect(events.filter((e) => e.type === 'rejected_signal').every((e) => e.type === 'rejected_signal' && e.data.reason_code === 'MAX_QUANTITY')).toBe(true);
    const book = result.pipeline!.portfolios.get('paper')!;
    expectBookMatchesFills(book, events, toPaise(config.trading.initialCapital));
    // The built-in strategies are long or flat: whatever risk refused, none ends up short.
    for (const [id, account] of book.accounts) for (const [token, p] of account.positions) expect(p.quantity, `${id} in ${token}`).toBeGreaterThanOrEqual(0);
    return result;
  } finally {
    await recorder.sub.stop();
    await transport.closeNow();
  }
}
