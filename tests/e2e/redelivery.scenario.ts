import { expect } from 'vitest';
import { run } from '../../src/app/run.ts';
import { topicsFor } from '../../src/contracts/topics.ts';
import { rootLogger } from '../../src/log.ts';
import { toPaise } from '../../src/money.ts';
import { makeTransport, privateBroker, waitFor, type TransportKind } from '../support/harness.ts';
import { decodeAll, expectBookMatchesFills, keepOpen, NIFTY_FEED, recordTopics, testConfig } from '../support/pipeline.ts';
import { redelivering } from '../support/redeliver.ts';

const paper = topicsFor('paper');

/**
 * The recorded day with every fill and every validated signal delivered three times (twice as the same
 * record, once more under a new envelope id): positions, cash, the risk book and each strategy's
 * ledger equal what the unique fills add up to, one order is placed per validated signal (a validation
 * delivered again gets its execution's events again: the same events, not a second order), and no
 * long-only strategy ends short.
 */
export async function tradeWithRedelivery(kind: TransportKind): Promise<void> {
  const broker = kind === 'kafka' ? await privateBroker() : undefined;
  const base = keepOpen(makeTransport(kind, 20, broker?.bootstrap));
  const transport = redelivering(base, [paper.ordersFilled, paper.signalsValidated], true);
  const config = testConfig(kind === 'kafka' ? { bus: 'kafka', kafka: { maxWaitTimeMs: 20 } } : {});
  const recorder = await recordTopics(base, [paper.ordersFilled, paper.ordersSubmitted, paper.signalsValidated]);
  try {
    const result = await run({ config, feed: NIFTY_FEED, stopWhenReplayed: true, status: false, log: rootLogger, transport });
    const pipeline = result.pipeline!;
    const s = pipeline.stats;
    expect(transport.copies).toBeGreaterThan(0);
    await waitFor(() => recorder.records.filter((r) => r.topic === paper.ordersFilled).length >= 3 * s.fills, 'every fill and its copies recorded', 20_000);
    const events = decodeAll(recorder.records);
    const fills = events.filter((e) => e.type === 'order_filled');
    const uniqueFills = new Map(fills.map((e) => [e.type === 'order_filled' ? `${e.data.order_id}|${e.data.fill_id}` : '', e]));
    // Each fill was made once: every copy on the log says the same.
    expect(uniqueFills.size).toBe(s.fills);
    for (const f of fills) expect(f.data).toEqual(uniqueFills.get(f.type === 'order_filled' ? `${f.data.order_id}|${f.data.fill_id}` : '')!.data);
    // One order per validated signal, though each validation arrived three times (twice under a new id).
    const placed = events.filter((e) => e.type === 'order_placed');
    const validated = new Set(events.filter((e) => e.type === 'validated_signal').map((e) => (e.type === 'validated_signal' ? e.data.original_signal.signal_id : '')));
    expect(events.filter((e) => e.type === 'validated_signal').length).toBe(3 * validated.size);
    const orders = new Map<string, Set<string>>();
    for (const e of placed) if (e.type === 'order_placed') orders.set(e.data.signal_id!, (orders.get(e.data.signal_id!) ?? new Set()).add(`${e.id}|${e.data.order_id}`));
    expect(orders.size).toBe(validated.size);
    for (const [signal, made] of orders) expect(made.size, `orders for signal ${signal}`).toBe(1);
    // The books are the unique fills, once each.
    const book = pipeline.portfolios.get('paper')!;
    expectBookMatchesFills(book, [...uniqueFills.values()], toPaise(config.trading.initialCapital));
    const held = new Map<string, number>();
    for (const e of uniqueFills.values()) {
      if (e.type !== 'order_filled') continue;
      const k = `${e.data.strategy_id}|${e.data.instrument_token}`;
      held.set(k, (held.get(k) ?? 0) + (e.data.signal_type === 'BUY' ? e.data.quantity : -e.data.quantity));
    }
    const risk = pipeline.engines.get('paper')!;
    for (const [k, q] of held) {
      const [strategy, token] = k.split('|');
      expect(risk.book.strategyReserved(strategy!, Number(token)), `risk book ${k}`).toBe(q);
      expect(pipeline.ledgers.get(strategy!)!.position(Number(token)), `ledger ${k}`).toBe(q);
    }
    for (const [id, account] of book.accounts) for (const [token, p] of account.positions) expect(p.quantity, `${id} in ${token}`).toBeGreaterThanOrEqual(0);
  } finally {
    await recorder.sub.stop();
    await base.closeNow();
    await broker?.stop();
  }
}
