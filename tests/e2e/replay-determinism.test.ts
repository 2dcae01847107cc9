import { describe, expect, it } from 'vitest';
import { run } from '../../src/app/run.ts';
import { netPnl } from '../../src/app/report.ts';
import { rootLogger } from '../../src/log.ts';
import { makeTransport, waitFor } from '../support/harness.ts';
import { decodeAll, keepOpen, NIFTY_FEED, recordTopics, testConfig } from '../support/pipeline.ts';

/** One replay of the NIFTY day: its fills without ids or wall-clock times, sorted, and its P&L. */
async function replayOnce(): Promise<{ fills: string[]; pnl: Record<string, unknown> }> {
  const transport = keepOpen(makeTransport('memory'));
  const recorder = await recordTopics(transport, ['paper.orders.filled']);
  try {
    const result = await run({ config: testConfig(), feed: NIFTY_FEED, stopWhenReplayed: true, status: false, log: rootLogger, transport });
    await waitFor(() => recorder.records.length >= result.pipeline!.stats.fills, 'every fill recorded');
    const fills = decodeAll(recorder.records).map((e) => {
      if (e.type !== 'order_filled') throw new Error(`unexpected ${e.type}`);
      // Order and signal ids derive from the ticks' ids, which are new each run.
      const { order_id: _id, signal_id: _signal, ...rest } = e.data;
      return JSON.stringify(rest);
    });
    const book = result.pipeline!.portfolios.get('paper')!;
    const pnl = Object.fromEntries(book.ids().sort().map((id) => [id, book.totals(id, (t) => result.pipeline!.prices.get(t)?.last)]));
    return { fills: fills.sort(), pnl: { ...pnl, total: netPnl(result.pipeline!) } };
  } finally {
    await recorder.sub.stop();
    await transport.closeNow();
  }
}

describe('replay', () => {
  it('replaying the same file twice gives identical fills (ids aside) and identical P&L', async () => {
    const first = await replayOnce();
    const second = await replayOnce();
    expect(first.fills.length).toBeGreaterThan(10);
    expect(second.fills).toEqual(first.fills);
    expect(second.pnl).toEqual(first.pnl);
  });
});
