import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Persistence } from '../src/app/persistence.ts';
import { Pipeline } from '../src/app/pipeline.ts';
import { systemClock } from '../src/clock.ts';
import type { MarketTick } from '../src/contracts/events.ts';
import { administer } from '../src/control/strategy-admin.ts';
import { DbChainStore } from '../src/db/chain-store.ts';
import { Database } from '../src/db/database.ts';
import { TickPublisher } from '../src/feeds/publisher.ts';
import { SimMarket } from '../src/feeds/sim.ts';
import { InstrumentCatalogue } from '../src/market/instruments.ts';
import { alternate, ratio, type Summary, type Workload } from './measure.ts';
import { benchConfig, benchUniverse } from './universe.ts';
import { embeddedSystem, quietLog } from './system.ts';
import type { ActorSystem } from '../src/app/actor-system.ts';

export interface PersistenceFigures {
  readonly ticks: number;
  readonly strategies: number;
  readonly withoutLedger: Summary;
  readonly withLedger: Summary;
  /** withLedger / withoutLedger, medians of the same run. */
  readonly ratio: number;
  /** Ledger rows written in the last round with the ledger (verdicts, orders, fills). */
  readonly ledgerRows: number;
  /** `strategies add` (the store's write) to the first tick handled by the new strategy's actor. */
  readonly addToFirstTickMs: { readonly runs: number; readonly median: number; readonly max: number };
}

const log = quietLog('persistence');

interface Running {
  readonly pipeline: Pipeline;
  readonly close: () => Promise<number>;
}

/** The embedded pipeline (one thread), with its ledger in a fresh PGlite folder or with none. */
async function open(strategies: number, instruments: number, withLedger: boolean): Promise<Running> {
  const { catalogue, instances } = benchUniverse(instruments, strategies);
  const config = benchConfig();
  const dir = mkdtempSync(join(tmpdir(), 'ap-bench-db-'));
  let db: Database | undefined;
  let pipeline: Pipeline;
  let system: ActorSystem;
  let store: DbChainStore | undefined;
  try {
    db = withLedger ? await Database.open({ enabled: true, url: null, dir }, log) : undefined;
    await db?.migrate();
    store = db ? new DbChainStore(db, systemClock, log) : undefined;
    system = embeddedSystem(config, log);
    pipeline = await Pipeline.start({ system, config, catalogue, strategies: instances, ...(store ? { store } : {}) });
  } catch (e) {
    // A start that fails leaves no database open and no folder behind.
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    pipeline,
    close: async () => {
      await pipeline.quiet(100);
      pipeline.stop();
      await system.stop();
      store?.close();
      const rows = db ? Number(((await db.em().execute('select count(*)::int as n from ledger_entry')) as Array<{ n: number }>)[0]!.n) : 0;
      await db?.close();
      rmSync(dir, { recursive: true, force: true });
      return rows;
    },
  };
}

function workload(strategies: number, instruments: number, ticks: readonly MarketTick[], withLedger: boolean, rows?: { n: number }): Workload<Running> {
  return {
    units: ticks.length,
    prepare: () => open(strategies, instruments, withLedger),
    // Done when every tick is handled and everything it caused is written and published.
    run: async ({ pipeline }) => {
      for (let i = 0; i < ticks.length; i += 5000) await pipeline.direct!.publish(ticks.slice(i, i + 5000));
      while (pipeline.ticks < ticks.length || !pipeline.idle) await new Promise((r) => setImmediate(r));
    },
    cleanup: async (r) => {
      const n = await r.close();
      if (rows) rows.n = n;
    },
  };
}

/**
 * The write path's cost: the same ticks through the same embedded pipeline with the ledger on PGlite (every
 * verdict, order and fill written before it is published) and without, rounds alternating (measure.ts).
 */
export async function benchPersistence(count: number, instruments = 500, strategies = 1000): Promise<PersistenceFigures> {
  const { list } = benchUniverse(instruments, 0);
  const market = new SimMarket(list, 'bench-ticks', 0.0008);
  const t0 = Date.UTC(2025, 7, 11, 4, 0);
  const ticks = Array.from({ length: count }, (_, i) => market.tick(t0 + i));
  const rows = { n: 0 };
  const r = await alternate({ withoutLedger: workload(strategies, instruments, ticks, false), withLedger: workload(strategies, instruments, ticks, true, rows) });
  return { ticks: count, strategies, withoutLedger: r.withoutLedger, withLedger: r.withLedger, ratio: ratio(r.withLedger, r.withoutLedger), ledgerRows: rows.n, addToFirstTickMs: await addToFirstTick(5) };
}

/**
 * A running embedded system (PGlite, the shipped strategies seeded) with ticks flowing; `runs` strategies
 * added one after another through the same operation the CLI uses; for each, the time from the add to the
 * first tick its actor handles (the outbox relay, the control topic, the strategy host, the spawn).
 */
async function addToFirstTick(runs: number): Promise<{ runs: number; median: number; max: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'ap-bench-add-'));
  const config = benchConfig({ database: { enabled: true, url: null, dir } });
  const catalogue = InstrumentCatalogue.load(config.trading.instrumentsFile);
  const persistence = await Persistence.open(config, catalogue, systemClock, log);
  const system = embeddedSystem(config, log);
  const pipeline = await Pipeline.start({ system, config, catalogue, strategies: persistence.strategies, store: persistence.chain, leadership: persistence.lease('bench', system.producer, (e) => {
    throw e;
  }) });
  const infy = catalogue.bySymbolLoose('INFY')!;
  const market = new SimMarket([infy], 'bench-add', 0.0008);
  const publisher = new TickPublisher(system.producer, systemClock, 'bench');
  let flowing = true;
  const feed = (async () => {
    while (flowing) {
      await publisher.publish([market.tick(Date.now())]);
      await new Promise((r) => setTimeout(r, 1));
    }
  })();
  const times: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const id = `bench-added-${i}`;
      const t = performance.now();
      await administer(persistence.strategies, { op: 'add', id, input: { type: 'simple_momentum', instruments: ['INFY'], params: { lookback_period: 20, momentum_threshold: 0.002, position_size: 1 } } });
      while ((pipeline.stats.byStrategy.get(id)?.ticks ?? 0) === 0) {
        if (performance.now() - t > 30_000) throw new Error(`${id}: no tick reached it within 30 s`);
        await new Promise((r) => setTimeout(r, 1));
      }
      times.push(performance.now() - t);
    }
  } finally {
    flowing = false;
    await feed;
    pipeline.stop();
    await system.stop();
    await persistence.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { runs, median: Math.round(sorted[Math.floor(runs / 2)]!), max: Math.round(sorted[runs - 1]!) };
}
