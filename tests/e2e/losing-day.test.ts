import { describe, expect, it } from 'vitest';
import { run } from '../../src/app/run.ts';
import { loadConfig } from '../../src/config/load.ts';
import { topicsFor } from '../../src/contracts/topics.ts';
import { rootLogger } from '../../src/log.ts';
import { makeTransport, waitFor } from '../support/harness.ts';
import { decodeAll, keepOpen, recordTopics } from '../support/pipeline.ts';

/** The default demo (config/default.yaml, config/strategies.yaml) over the simulator, in simulated time. */
// With the embedded database as npm start has it, in memory (no folder shared between test files).
const simulated = (seconds: number, overrides: Record<string, unknown> = {}) => loadConfig({}, { feed: { sim: { pace: 'fast', seconds } }, database: { dir: 'memory://' }, ...overrides });

describe('losing days behave like a trading desk', () => {
  it('the default demo trades a simulated hour without tripping its daily loss limit', async () => {
    const config = simulated(3600);
    const result = await run({ config, feed: { kind: 'sim' }, stopWhenReplayed: false, status: false, log: rootLogger });
    const p = result.pipeline!;
    expect(result.stoppedBy).toBe('simulated');
    expect(p.ticks).toBe(3600 * config.feed.sim.ticksPerSecond);
    expect(p.stats.fills).toBeGreaterThan(100);
    expect(p.engines.get('paper')!.state).toBe('ACTIVE');
    expect(p.engines.get('paper')!.lossToday()).toBeLessThan(config.risk.dailyLossLimit * 100);
    expect(p.stats.rejected).toBe(0);
  }, 120_000);

  it('FLATTEN: past the limit every position is closed at once, exits pass, and strategies stop sending what would be refused', async () => {
    const transport = keepOpen(makeTransport('memory'));
    const paper = topicsFor('paper');
    const recorder = await recordTopics(transport, [paper.riskState, paper.signalsRaw]);
    try {
      // A costly market (50 bps of slippage a fill) makes a losing day of it.
      const config = simulated(900, { risk: { dailyLossLimit: 1000, onDailyLoss: 'FLATTEN' }, paper: { slippageBps: 50 } });
      const result = await run({ config, feed: { kind: 'sim' }, stopWhenReplayed: false, status: false, log: rootLogger, transport });
      const p = result.pipeline!;
      await waitFor(() => recorder.records.some((r) => r.topic === paper.riskState), 'the state change on the log');
      const events = decodeAll(recorder.records);
      const change = events.find((e) => e.type === 'trading_state')!;
      expect(change.type === 'trading_state' && change.data).toMatchObject({ state: 'REDUCING', previous: 'ACTIVE', cause: 'DAILY_LOSS', flatten: true });
      const flattens = events.filter((e) => e.type === 'trading_signal' && e.data.kind === 'flatten');
      expect(flattens.length).toBeGreaterThan(0);
      expect(p.engines.get('paper')!.state).toBe('REDUCING');
      // Everything closed, and no strategy spun out signals the account would only refuse.
      for (const [id, account] of p.portfolios.get('paper')!.accounts) for (const [token, pos] of account.positions) expect(pos.quantity, `${id} ${token}`).toBe(0);
      expect(p.stats.suppressed).toBeGreaterThan(0);
      expect(p.stats.rejections.get('REDUCE_ONLY') ?? 0).toBe(0);
    } finally {
      await recorder.sub.stop();
      await transport.closeNow();
    }
  }, 120_000);
});
