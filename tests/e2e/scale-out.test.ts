import { describe, expect, it } from 'vitest';
import { topicsFor } from '../../src/contracts/topics.ts';
import { InstrumentCatalogue } from '../../src/market/instruments.ts';
import { startMockBroker } from '../broker/mock-broker.ts';
import { freshPostgres } from '../support/databases.ts';
import { deploymentEnv, startInstance, tickPublisher, zigzag } from '../support/deployment.ts';
import { recordTopics, waitFor } from '../support/harness.ts';
import { decodeAll } from '../support/pipeline.ts';

const catalogue = InstrumentCatalogue.load('config/instruments.csv');
const paper = topicsFor('paper');
const SYMBOLS = ['RELIANCE', 'HDFCBANK', 'INFY', 'TCS', 'SBIN', 'ICICIBANK', 'AXISBANK', 'ITC', 'WIPRO', 'LT'];
const ORDERS_PER_SECOND = 4;
const instanceOf = (source: string) => source.slice(source.indexOf('@') + 1);

describe('scale-out: two instances of one deployment on the test broker', () => {
  it('split the strategies (each tick\'s signal one event wherever it was made), feed a multi-instrument strategy its whole market, move a dead instance\'s strategies and chain to the survivor, and keep one order rate', async () => {
    const broker = await startMockBroker(1);
    const db = await freshPostgres();
    const ticks = tickPublisher(broker);
    const log = await recordTopics(ticks.transport, [paper.signalsRaw, paper.signalsValidated, paper.signalsRejected]);
    const env = deploymentEnv(broker, db.url!, { ALPHA_PANDA_TRADING__STRATEGIES_FILE: 'tests/fixtures/scale-out-strategies.yaml', ALPHA_PANDA_RISK__ORDERS_PER_SECOND: String(ORDERS_PER_SECOND) });
    const a = await startInstance('a', env);
    const b = await startInstance('b', env);
    try {
      await waitFor(() => /"component":"strategy-host".*"partitions":\[[0-9,]+\].*strategies assigned/.test(b.err), 'the second instance assigned its share', 30_000);
      // Both have joined: the group is split. Ten seconds of market at 10 instruments a second.
      const market = zigzag(catalogue, SYMBOLS, 600, 'scale-out');
      const firstHalf = market.slice(0, 80 * SYMBOLS.length);
      await ticks.publish(firstHalf, 80);
      await waitFor(() => decodeAll(log.records).filter((e) => e.type === 'trading_signal').length > 30, 'signals from both instances', 30_000);
      await new Promise((r) => setTimeout(r, 1500));
      const before = decodeAll(log.records);
      const signals = before.filter((e) => e.type === 'trading_signal');
      // Each tick made a strategy's signal as one event, wherever it was made: a strategy moves while the
      // group settles (and again when a starved member misses its session), and the new owner can make
      // again what the old one still had in flight, with the same id, so it is judged once (below).
      // Both instances ran some.
      const made = new Map<string, Set<string>>();
      for (const e of signals) {
        const key = `${e.data.strategy_id} ${e.causation_id}`;
        made.set(key, (made.get(key) ?? new Set()).add(e.id));
      }
      for (const [tick, ids] of made) expect([...ids], `${tick} made as`).toHaveLength(1);
      const lastOn = new Map(signals.map((e) => [e.data.strategy_id, instanceOf(e.source)]));
      expect(new Set(lastOn.values()).size).toBe(2);
      // The four-instrument strategy traded each of its instruments, whichever partitions their ticks are on.
      const multi = new Set(signals.filter((s) => s.data.strategy_id === 'multi').map((s) => s.data.instrument_token));
      expect([...multi].sort()).toEqual(['RELIANCE', 'HDFCBANK', 'INFY', 'TCS'].map((s) => catalogue.bySymbolLoose(s)!.token).sort());

      // The leader (a, first to start) dies: its strategies and the chain go on at b.
      const onA = [...lastOn].filter(([, at]) => at === 'a').map(([id]) => id);
      expect(onA.length).toBeGreaterThan(0);
      a.kill('SIGKILL');
      await a.exited;
      const killedAt = log.records.length;
      // The market goes on while b notices (the group's session, the lease) and takes over.
      const movedToB = () => onA.every((id) => decodeAll(log.records.slice(killedAt)).some((e) => e.type === 'trading_signal' && e.data.strategy_id === id && instanceOf(e.source) === 'b'));
      for (let at = firstHalf.length; at < market.length && !movedToB(); at += 8 * SYMBOLS.length) await ticks.publish(market.slice(at, at + 8 * SYMBOLS.length), 80);
      expect(movedToB(), `${onA.join(', ')} trading on b`).toBe(true);
      await waitFor(() => /this instance now runs the account-wide chain/.test(b.err), 'b to run the chain', 30_000);
      await waitFor(() => {
        const e = decodeAll(log.records);
        const judged = new Set(e.filter((x) => x.type === 'validated_signal' || x.type === 'rejected_signal').map((x) => x.correlation_id));
        return e.filter((x) => x.type === 'trading_signal').every((s) => judged.has(s.correlation_id));
      }, 'every signal judged', 30_000);

      const all = decodeAll(log.records);
      // One verdict per signal across the failover: copies on the log are the same event.
      const verdicts = new Map<string, Set<string>>();
      for (const e of all) if (e.type === 'validated_signal' || e.type === 'rejected_signal') verdicts.set(e.correlation_id, (verdicts.get(e.correlation_id) ?? new Set()).add(`${e.id}|${e.type}`));
      for (const [chain, v] of verdicts) expect([...v], `verdicts of ${chain}`).toHaveLength(1);
      // The order rate is the account's, whichever instance the strategies ran on: at most the limit in
      // any second of event time.
      const validated = [...new Map(all.filter((e) => e.type === 'validated_signal').map((e) => [e.id, Date.parse(e.data.original_signal.timestamp)])).values()].sort((x, y) => x - y);
      expect(validated.length).toBeGreaterThan(ORDERS_PER_SECOND);
      for (let i = ORDERS_PER_SECOND; i < validated.length; i++) expect(validated[i]! - validated[i - ORDERS_PER_SECOND]!, `orders ${i - ORDERS_PER_SECOND}..${i}`).toBeGreaterThanOrEqual(1000);
      const rejected = all.filter((e) => e.type === 'rejected_signal');
      expect(rejected.some((e) => e.data.reason_code === 'RATE_LIMIT_SECOND')).toBe(true);
      b.kill('SIGTERM');
      expect(await b.exited).toBe(0);
    } finally {
      a.kill('SIGKILL');
      b.kill('SIGKILL');
      await log.sub.stop();
      await ticks.close();
      await broker.stop();
      await db.drop();
    }
  }, 240_000);
});
