import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Pipeline } from '../../src/app/pipeline.ts';
import { createEvent } from '../../src/contracts/envelope.ts';
import { EventRecord } from '../../src/contracts/event-record.ts';
import type { TradingSignal } from '../../src/contracts/events.ts';
import { topicsFor } from '../../src/contracts/topics.ts';
import { InstrumentCatalogue } from '../../src/market/instruments.ts';
import { makeSystem, makeTransport, memoryTransport } from '../support/harness.ts';
import { testConfig } from '../support/pipeline.ts';

const RELIANCE = 738561;
const at = '2025-08-11T05:00:00.000Z';
const now = Date.parse(at);

describe('a new deployment on an existing log', () => {
  it('does not validate or execute the signals already on the log again, and rebuilds positions from the fills', async () => {
    const transport = makeTransport('memory');
    const paper = topicsFor('paper');
    const signal: TradingSignal = { signal_id: randomUUID(), strategy_id: 'old', instrument_token: RELIANCE, signal_type: 'BUY', quantity: 10, price: 1385, timestamp: at, quote: { last_price: 1385, exchange_timestamp: at } };
    const raw = createEvent({ type: 'trading_signal', broker: 'paper', source: 'strategy/old', key: 'old', data: signal, now });
    const validated = createEvent({ type: 'validated_signal', broker: 'paper', source: 'risk/paper', key: 'old', data: { original_signal: signal, validated_quantity: 10, validated_price: 1385, risk_checks: [], timestamp: at }, cause: raw, now });
    const filled = createEvent({ type: 'order_filled', broker: 'paper', source: 'execution/paper', key: 'old', data: { strategy_id: 'old', instrument_token: RELIANCE, signal_type: 'BUY', quantity: 10, order_id: 'PAPER-1', fill_id: '1', execution_mode: 'paper', timestamp: at, fill_price: 1385, fees: 3.36, fee_breakdown: { brokerage: 2.77, stt: 0, transaction: 0.41, ipft: 0.01, sebi: 0.01, gst: 0.57, stamp: 0.42 }, fee_schedule: 'zerodha-eq-intraday-2024-10' }, cause: validated, now });
    await transport.send([new EventRecord(paper.signalsRaw, raw, {}), new EventRecord(paper.signalsValidated, validated, {}), new EventRecord(paper.ordersFilled, filled, {})]);

    const system = makeSystem(transport);
    const pipeline = await Pipeline.start({ system, config: testConfig(), catalogue: InstrumentCatalogue.load('config/instruments.csv'), strategies: [] });
    await pipeline.quiet(200);
    expect(pipeline.stats.validated + pipeline.stats.rejected).toBe(0);
    expect(pipeline.stats.fills).toBe(0);
    expect(pipeline.portfolios.get('paper')!.account('old').positions.get(RELIANCE)?.quantity).toBe(10);
    pipeline.stop();
    await system.stop();
  });

  it("finds its chain caught up at a stop at once: a partition it started past, at the log's end, holds nothing for it", async () => {
    // A log that outlives the process, with signals from before this deployment on it.
    const transport = memoryTransport(true);
    const paper = topicsFor('paper');
    const old = ['a', 'b', 'c', 'd'].map((key) => createEvent({ type: 'trading_signal', broker: 'paper', source: `strategy/${key}`, key, data: { signal_id: randomUUID(), strategy_id: key, instrument_token: RELIANCE, signal_type: 'BUY', quantity: 1, price: 1385, timestamp: at }, now }));
    await transport.send(old.map((e) => new EventRecord(paper.signalsRaw, e, {})));
    const system = makeSystem(transport);
    const pipeline = await Pipeline.start({ system, config: testConfig(), catalogue: InstrumentCatalogue.load('config/instruments.csv'), strategies: [] });
    await pipeline.quiet(200);
    expect(pipeline.stats.validated + pipeline.stats.rejected).toBe(0);
    // Nothing of the old signals is this process's to take in: the wait ends caught up, not at its budget.
    expect(await pipeline.chainCaughtUp(5000)).toBe(true);
    pipeline.stop();
    await system.stop();
  });
});
