import { describe, expect, it } from 'vitest';
import { run } from '../../src/app/run.ts';
import { topicsFor } from '../../src/contracts/topics.ts';
import type { ExecutionClient, ExecutionResult, OrderRequest } from '../../src/execution/client.ts';
import { namespacesFor } from '../../src/execution/routing.ts';
import { rootLogger } from '../../src/log.ts';
import { makeTransport } from '../support/harness.ts';
import { keepOpen, NIFTY_FEED, testConfig } from '../support/pipeline.ts';
import type { MemoryTransport } from '../../src/bus/memory/memory-transport.ts';

/** Stands in for the broker a live client talks to: records every order it is asked to place. */
class RecordingLiveClient implements ExecutionClient {
  readonly namespace = 'zerodha' as const;
  readonly live = true;
  readonly orders: OrderRequest[] = [];
  execute(request: OrderRequest): ExecutionResult {
    this.orders.push(request);
    return { kind: 'failed', orderId: null, code: 'BROKER_UNAVAILABLE', message: 'recording client places nothing' };
  }
}

async function tradeDay(liveEnabled: boolean) {
  const live = new RecordingLiveClient();
  const log = makeTransport('memory') as MemoryTransport;
  const transport = keepOpen(log);
  try {
    // The fixture's nifty-momentum strategy is enabled for live trading.
    const result = await run({ config: testConfig({ trading: { liveEnabled } }), feed: NIFTY_FEED, stopWhenReplayed: true, status: false, log: rootLogger, transport, liveVenues: { zerodha: { client: live, start: async () => ({ onPlaced: () => undefined }), stop: () => undefined } } });
    // The in-process log, read whole once the run has stopped: everything ever written to a live topic.
    const liveTopicRecords = Object.values(topicsFor('zerodha')).reduce((n, t) => n + log.read(t).length, 0);
    return { live, liveTopicRecords, namespaces: result.pipeline!.namespaces, paperFills: result.pipeline!.stats.fills };
  } finally {
    await transport.closeNow();
  }
}

describe('paper-only configuration', () => {
  it('no signal reaches a live execution client, and nothing is written to the live topics', async () => {
    const day = await tradeDay(false);
    expect(day.paperFills).toBeGreaterThan(0);
    expect(day.namespaces).toEqual(['paper']);
    expect(day.live.orders).toHaveLength(0);
    expect(day.liveTopicRecords).toBe(0);
  });

  it('with the global switch on, only the strategy enabled for live reaches the live client (the guard above can fail)', async () => {
    const day = await tradeDay(true);
    expect(day.live.orders.length).toBeGreaterThan(0);
    expect(new Set(day.live.orders.map((o) => o.signal.strategy_id))).toEqual(new Set(['nifty-momentum']));
  });

  it('routes paper always and live only when both the strategy and the global switch allow it', () => {
    expect(namespacesFor(true, { paperEnabled: true, liveEnabled: false })).toEqual(['paper']);
    expect(namespacesFor(false, { paperEnabled: true, liveEnabled: true })).toEqual(['paper']);
    expect(namespacesFor(true, { paperEnabled: true, liveEnabled: true })).toEqual(['paper', 'zerodha']);
  });

  it('refuses to start live trading without the Kite app credentials, naming each', async () => {
    await expect(run({ config: testConfig({ trading: { liveEnabled: true } }), feed: { kind: 'none' }, stopWhenReplayed: false, status: false, log: rootLogger, transport: makeTransport('memory'), durationS: 1 })).rejects.toThrow(/KITE_API_KEY[\s\S]*KITE_API_SECRET/);
  });
});
