import { describe, expect, it } from 'vitest';
import { run } from '../../src/app/run.ts';
import type { TradingSignal } from '../../src/contracts/events.ts';
import { topicsFor } from '../../src/contracts/topics.ts';
import { feeModel } from '../../src/execution/fees.ts';
import { PaperClient } from '../../src/execution/paper-client.ts';
import { rootLogger } from '../../src/log.ts';
import { PriceBook } from '../../src/market/price-book.ts';
import { fromWire } from '../../src/market/quote.ts';
import { toPaise } from '../../src/money.ts';
import { RiskEngine } from '../../src/risk/engine.ts';
import { makeTransport, waitFor } from '../support/harness.ts';
import { decodeAll, keepOpen, NIFTY_FEED, recordTopics, testConfig } from '../support/pipeline.ts';

describe('a replayed day is judged the same whatever order its signals arrive in', () => {
  it('the day delivered in event order and as one block per strategy gets identical verdicts and fills, and they are the pipeline\'s', async () => {
    const config = testConfig();
    const transport = keepOpen(makeTransport('memory'));
    const paper = topicsFor('paper');
    const recorder = await recordTopics(transport, [paper.signalsRaw, paper.signalsValidated, paper.signalsRejected]);
    let signals: TradingSignal[] = [];
    const pipelineVerdicts = new Map<string, string>();
    let catalogue;
    try {
      const result = await run({ config, feed: NIFTY_FEED, stopWhenReplayed: true, status: false, log: rootLogger, transport });
      catalogue = result.catalogue;
      const s = result.pipeline!.stats;
      await waitFor(() => recorder.records.length >= 2 * s.signals, 'every signal and its verdict recorded');
      for (const e of decodeAll(recorder.records)) {
        if (e.type === 'trading_signal') signals.push(e.data);
        if (e.type === 'validated_signal') pipelineVerdicts.set(e.data.original_signal.signal_id, 'OK');
        if (e.type === 'rejected_signal') pipelineVerdicts.set(e.data.original_signal.signal_id, e.data.reason_code);
      }
    } finally {
      await recorder.sub.stop();
      await transport.closeNow();
    }
    signals = signals.sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
    expect(new Set(signals.map((x) => x.strategy_id)).size).toBe(3);

    /** Risk, then paper execution, over `order`: each signal's verdict, and its fill when validated. */
    const judge = (order: readonly TradingSignal[]) => {
      const engine = new RiskEngine(config.risk, { instrument: (t) => catalogue!.get(t), capital: toPaise(config.trading.initialCapital), squareOffAt: config.trading.squareOffAt });
      const paperClient = new PaperClient(config.paper, feeModel(config.fees), catalogue!, new PriceBook());
      const out = new Map<string, string>();
      for (const signal of order) {
        const v = engine.evaluate(signal, undefined);
        if (!v.ok) {
          out.set(signal.signal_id, v.denial.code);
          continue;
        }
        const r = paperClient.execute({ signal, quantity: v.quantity, quote: fromWire(signal.instrument_token, signal.quote!) });
        out.set(signal.signal_id, r.kind === 'filled' ? `OK ${v.quantity} @ ${r.fills[0]!.price} fees ${r.fills[0]!.charges.total}` : r.kind === 'failed' ? r.code : 'PLACED');
      }
      return out;
    };
    // Interleavings keep each strategy's own order (the bus keeps per-key order): event order, and each
    // strategy's day as one block, in two orders (as a fast replay delivers them).
    const block = (ids: string[]) => ids.flatMap((id) => signals.filter((x) => x.strategy_id === id));
    const inTime = judge(signals);
    expect(judge(block(['nifty-oversized', 'nifty-momentum', 'nifty-meanrev']))).toEqual(inTime);
    expect(judge(block(['nifty-meanrev', 'nifty-momentum', 'nifty-oversized']))).toEqual(inTime);
    expect(new Map([...inTime].map(([id, v]) => [id, v.startsWith('OK') ? 'OK' : v]))).toEqual(pipelineVerdicts);
  });
});
