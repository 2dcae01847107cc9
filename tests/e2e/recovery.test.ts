import { describe, expect, it } from 'vitest';
import { createEvent, type Envelope } from '../../src/contracts/envelope.ts';
import { MARKET_TICKS } from '../../src/contracts/topics.ts';
import { SimMarket } from '../../src/feeds/sim.ts';
import { derivedId } from '../../src/ids.ts';
import { InstrumentCatalogue } from '../../src/market/instruments.ts';
import { instanceOf, loadStrategySpecs } from '../../src/strategies/config.ts';
import { startMockBroker, type MockBroker } from '../broker/mock-broker.ts';
import type { RunningCli } from '../support/cli.ts';
import { freshPostgres, query, type TestDatabase } from '../support/databases.ts';
import { deploymentEnv, startInstance, tickPublisher, type RunSummary } from '../support/deployment.ts';

const catalogue = InstrumentCatalogue.load('config/instruments.csv');
const STEPS = 450;

/** A seeded random walk of four instruments, a tick a second each, with ids of its own: the same ticks for both deployments. */
function market(): Envelope<'market_tick'>[] {
  const sim = new SimMarket(['RELIANCE', 'INFY', 'HDFCBANK', 'TCS'].map((s) => catalogue.bySymbolLoose(s)!), 'recovery', 0.0015);
  const start = Date.UTC(2025, 7, 11, 4, 0);
  return Array.from({ length: STEPS * 4 }, (_, i) => {
    const at = start + Math.floor(i / 4) * 1000;
    return createEvent({ type: 'market_tick', broker: 'market', source: 'test', key: '', data: sim.tick(at), now: at, id: derivedId('recovery', i) });
  }).map((e) => ({ ...e, key: String(e.data.instrument_token) }));
}

interface Deployment {
  readonly broker: MockBroker;
  readonly db: TestDatabase;
  readonly env: Record<string, string>;
  readonly ticks: ReturnType<typeof tickPublisher>;
  instance: RunningCli;
}

async function deployment(): Promise<Deployment> {
  const broker = await startMockBroker(1);
  const db = await freshPostgres();
  const env = deploymentEnv(broker, db.url!, { ALPHA_PANDA_TRADING__STRATEGIES_FILE: 'tests/fixtures/recovery-strategies.yaml' });
  return { broker, db, env, ticks: tickPublisher(broker), instance: await startInstance('solo', env, ['--json']) };
}

const fills = (d: Deployment) => query<{ signal_id: string; order_id: string; fill_id: string; strategy_id: string; quantity: number; fill_price_paise: string; fees_paise: string }>(d.db.url!, `select signal_id, order_id, fill_id, strategy_id, quantity, fill_price_paise, fees_paise from ledger_entry where kind = 'filled' order by order_id, fill_id`);

const refused = (d: Deployment) => query<{ kind: string; strategy_id: string; signal_id: string; reason_code: string | null }>(d.db.url!, `select kind, strategy_id, signal_id, reason_code from ledger_entry where kind in ('rejected', 'failed') order by event_ts`);

/**
 * Until the instance has handled every tick (its tick group has committed the end of market.ticks:
 * every tick handled and what it caused confirmed) and the ledger has not moved for three seconds.
 */
async function settled(d: Deployment, total: number): Promise<void> {
  await d.instance.waitFor(() => d.instance.err.includes('strategies warmed up on the log and released'), 60_000, 'the strategies to be released');
  const group = 'alpha-panda.strategy-runner.solo';
  for (const deadline = Date.now() + 90_000; ; ) {
    const committed = [...(await d.ticks.transport.committed(group, MARKET_TICKS)).values()].reduce((n, o) => n + Number(o), 0);
    if (committed >= total) break;
    if (Date.now() > deadline) throw new Error(`${group} committed ${committed} of ${total} ticks; the instance's log ends:\n${d.instance.err.slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  let last = '';
  let since = Date.now();
  for (const deadline = Date.now() + 90_000; Date.now() < deadline; ) {
    const now = JSON.stringify(await query(d.db.url!, `select kind, count(*) from ledger_entry group by kind order by kind`));
    if (now !== last) [last, since] = [now, Date.now()];
    else if (Date.now() - since > 3000) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error('the ledger never settled');
}

/**
 * The signals the fixture's strategies make on `ticks` when each is filled at once and nothing is refused:
 * the strategies' own pure code over the ticks in order, with the same derived ids the actors give them.
 * Both runs must make exactly these, whatever the crashes and the timing.
 */
function modelSignals(ticks: readonly Envelope<'market_tick'>[]): string[] {
  const out: string[] = [];
  for (const inst of loadStrategySpecs('tests/fixtures/recovery-strategies.yaml', catalogue).map(instanceOf)) {
    const held = new Map<number, number>();
    let state = inst.strategy.init(inst.params, inst.instruments);
    const ctx = { strategyId: inst.id, instruments: inst.instruments, position: (t: number) => held.get(t) ?? 0 };
    for (const tick of ticks) {
      if (!inst.instruments.includes(tick.data.instrument_token)) continue;
      const r = inst.strategy.onTick(state, tick.data, inst.params, ctx);
      state = r.state;
      r.signals.forEach((s, n) => {
        held.set(s.instrument_token, ctx.position(s.instrument_token) + (s.signal_type === 'BUY' ? s.quantity : -s.quantity));
        out.push(`${inst.id} ${derivedId(tick.id, inst.id, n)}`);
      });
    }
  }
  return out.sort();
}

/** What each strategy's account ends with, in the form both runs are compared in. */
function accounts(s: RunSummary) {
  return Object.fromEntries(s.summary!.strategies.map((x) => [x.strategy, { positions: x.positions, realized: x.realized, unrealized: x.unrealized, fees: x.fees, cash: x.cash, net: x.net }]));
}

describe('recovery after kill -9 (Kafka on the test broker, PostgreSQL)', () => {
  it('killed mid-stream three times and restarted: positions and P&L equal a run without the crash, and the ledger holds each fill once', async () => {
    const ticks = market();
    const calm = await deployment();
    const crashed = await deployment();
    try {
      const kills = [0.2, 0.45, 0.7].map((f) => Math.floor((f * ticks.length) / 40) * 40);
      let restarting: Promise<void> = Promise.resolve();
      // Each killed process's log: what a stray run is read against.
      const lives: string[] = [];
      for (let at = 0; at < ticks.length; at += 40) {
        const chunk = ticks.slice(at, at + 40);
        await Promise.all([calm.ticks.publish(chunk, 100), crashed.ticks.publish(chunk, 100)]);
        if (kills.includes(at)) {
          await restarting;
          // Killed where it stands, and started again at once under the same instance id; the market goes on.
          crashed.instance.kill('SIGKILL');
          await crashed.instance.exited;
          lives.push(crashed.instance.err);
          restarting = startInstance('solo', crashed.env, ['--json']).then((p) => {
            crashed.instance = p;
          });
        }
      }
      await restarting;
      await Promise.all([settled(calm, ticks.length), settled(crashed, ticks.length)]);
      const stop = async (d: Deployment) => {
        d.instance.kill('SIGTERM');
        expect(await d.instance.exited).toBe(0);
        return JSON.parse(d.instance.out) as RunSummary;
      };
      const [a, b] = await Promise.all([stop(calm), stop(crashed)]);
      expect(crashed.instance.err).toMatch(/chain restored from the ledger/);
      // The fixture's strategies never meet a limit: a refusal or a failed order in either run is the first thing to know.
      for (const d of [calm, crashed]) expect(await refused(d), d === calm ? 'the calm run' : 'the crashed run').toEqual([]);
      const calmFills = await fills(calm);
      const crashedFills = await fills(crashed);
      expect(calmFills.length).toBeGreaterThan(10);
      // Each run filled exactly the signals the strategies make on these ticks (which run strayed, if one did).
      const model = modelSignals(ticks);
      const made = (rows: typeof calmFills) => rows.map((f) => `${f.strategy_id} ${f.signal_id}`).sort();
      expect(made(calmFills), 'the calm run').toEqual(model);
      const story = () => [...lives, crashed.instance.err].map((err, n) => `-- process ${n + 1}\n${err.split('\n').filter((l) => /"level":[456]0|warmed up|assigned|running|restored/.test(l)).join('\n')}`).join('\n');
      expect(made(crashedFills), `the crashed run; its processes' logs:\n${story()}`).toEqual(model);
      // The same fills (the same ticks make the same signals, ids and all), each once.
      expect(crashedFills).toEqual(calmFills);
      expect(new Set(crashedFills.map((f) => `${f.order_id}|${f.fill_id}`)).size).toBe(crashedFills.length);
      // The restarted process's books equal the calm one's: positions, cash, realized and open P&L, fees.
      expect(accounts(b)).toEqual(accounts(a));
      const money = (s: RunSummary) => s.summary!.totals.map(({ namespace, net, cash, state }) => ({ namespace, net, cash, state }));
      expect(money(b)).toEqual(money(a));
    } finally {
      for (const d of [calm, crashed]) {
        d.instance.kill('SIGKILL');
        await d.ticks.close();
        await d.broker.stop();
        await d.db.drop();
      }
    }
  }, 300_000);
});
