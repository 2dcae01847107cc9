import { describe, expect, it } from 'vitest';
import { findChain } from '../../src/chains/find-chain.ts';
import type { AnyEnvelope } from '../../src/contracts/envelope.ts';
import { topicsFor, type BrokerNamespace } from '../../src/contracts/topics.ts';
import { chain, signalNamed } from '../support/chains.ts';
import { makeTransport, recordOf, type TransportKind } from '../support/harness.ts';

const FAMILY = { trading_signal: 'signalsRaw', validated_signal: 'signalsValidated', rejected_signal: 'signalsRejected', order_placed: 'ordersSubmitted', order_filled: 'ordersFilled', order_failed: 'ordersFailed' } as const;
const topicOf = (e: AnyEnvelope) => topicsFor(e.broker as BrokerNamespace)[FAMILY[e.type as keyof typeof FAMILY]];

describe.each<TransportKind>(['memory', 'kafka'])('a chain read back from the log (%s)', (kind) => {
  it('finds a chain and its sibling in the other namespace among the records of every chain topic, read to the ends as they were when asked', async () => {
    const transport = makeTransport(kind);
    try {
      const signal = signalNamed(`bus-${kind}`);
      const paper = chain('paper', { verdict: 2, placed: 3, fills: [[3, 5]] }, signal);
      const live = chain('zerodha', { verdict: 5, failed: 60 }, signal);
      const noise = [...chain('paper', { verdict: 1, rejected: true }, signalNamed(`noise-${kind}`)), ...chain('paper', { verdict: 1, placed: 2, fills: [[2, 5]] }, signalNamed(`noise2-${kind}`))];
      // Records on the wire, duplicated as at-least-once delivery may leave them.
      await transport.send([...noise, ...paper, ...live, paper[3]!].map((e) => recordOf(topicOf(e), e)));
      const found = (await findChain({ transport, timeoutMs: 20_000 }, live[0]!.id))!;
      expect(found).toMatchObject({ from: 'log', complete: true, signalId: signal.signal_id });
      expect(found.namespaces.map((c) => [c.namespace, c.correlationId, c.outcome, c.hops.map((h) => h.eventId)])).toEqual([
        ['paper', paper[0]!.id, 'filled', paper.map((e) => e.id)],
        ['zerodha', live[0]!.id, 'failed', live.map((e) => e.id)],
      ]);
      // From the log the signal has its time: every hop is timed from it.
      expect(found.namespaces[1]!.hops.map((h) => h.sinceSignalMs)).toEqual([0, 5, 60]);
      expect(await findChain({ transport, timeoutMs: 20_000 }, '3f2504e0-4f89-41d3-9a0c-0305e82c3301')).toBeUndefined();
    } finally {
      await transport.close();
    }
  }, 60_000);
});
