import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock, TestClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config/load.ts';
import { createEvent, type Envelope } from '../../src/contracts/envelope.ts';
import type { TradingSignal } from '../../src/contracts/events.ts';
import { CONTROL_STRATEGIES } from '../../src/contracts/topics.ts';
import { administer } from '../../src/control/strategy-admin.ts';
import { Persistence } from '../../src/app/persistence.ts';
import { DbChainStore } from '../../src/db/chain-store.ts';
import { Database } from '../../src/db/database.ts';
import { OutboxRow } from '../../src/db/entities.ts';
import { Lease } from '../../src/db/lease.ts';
import { SessionStore, sessionKey } from '../../src/db/session-store.ts';
import { StrategyStore } from '../../src/db/strategy-store.ts';
import { DatabaseLocked, InputError } from '../../src/errors.ts';
import { derivedId } from '../../src/ids.ts';
import { rootLogger } from '../../src/log.ts';
import { InstrumentCatalogue } from '../../src/market/instruments.ts';
import { loadStrategySpecs } from '../../src/strategies/config.ts';
import { cli } from '../support/cli.ts';
import { BACKENDS, freshPostgres, type TestDatabase } from '../support/databases.ts';

const catalogue = InstrumentCatalogue.load('config/instruments.csv');
const INFY = catalogue.bySymbolLoose('INFY')!.token;
const at = '2025-08-11T04:00:00.000Z';
const now = Date.parse(at);

function signal(id: string, quantity = 10): Envelope<'trading_signal'> {
  const data: TradingSignal = { signal_id: derivedId('signal', id), strategy_id: 's1', instrument_token: INFY, signal_type: 'BUY', quantity, price: 1500, timestamp: at, quote: { last_price: 1500, exchange_timestamp: at } };
  return createEvent({ type: 'trading_signal', broker: 'paper', source: 'strategy/s1@t', key: 's1', data, startsChain: true, now, id: derivedId('event', id) });
}

function validated(raw: Envelope<'trading_signal'>, quantity = raw.data.quantity): Envelope<'validated_signal'> {
  return createEvent({ type: 'validated_signal', broker: 'paper', source: 'risk/paper', key: 's1', data: { original_signal: raw.data, validated_quantity: quantity, validated_price: 1500, risk_checks: [], timestamp: at }, cause: raw, now, id: derivedId(raw.id, 'verdict') });
}

function filled(v: Envelope<'validated_signal'>, fillId = '1'): Envelope<'order_filled'> {
  const s = v.data.original_signal;
  const data = { signal_id: s.signal_id, strategy_id: s.strategy_id, instrument_token: s.instrument_token, signal_type: s.signal_type, quantity: v.data.validated_quantity, order_id: `PAPER-${s.signal_id.slice(0, 8)}`, fill_id: fillId, execution_mode: 'paper' as const, timestamp: at, fill_price: 1500.05, fees: 4.5, fee_breakdown: { brokerage: 4.5, stt: 0, transaction: 0, ipft: 0, sebi: 0, gst: 0, stamp: 0 }, fee_schedule: 'test' };
  return createEvent({ type: 'order_filled', broker: 'paper', source: 'execution/paper', key: 's1', data, cause: v, now, id: derivedId(v.id, 'fill', fillId) });
}

describe.each(BACKENDS)('the database on $name', ({ make }) => {
  let t: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    t = await make();
    db = await Database.open(t.settings, rootLogger);
  }, 60_000);
  afterAll(async () => {
    await db?.close();
    await t?.drop();
  });

  it('migrations apply to an empty database, and a second run changes nothing', async () => {
    expect(await db.pending()).toHaveLength(2);
    const applied = await db.migrate();
    expect(applied).toEqual(['Migration20261201105438', 'Migration20261201185541']);
    expect(await db.migrate()).toEqual([]);
    expect(await db.pending()).toEqual([]);
    const tables = await db.em().execute<Array<{ table_name: string }>>(`select table_name from information_schema.tables where table_schema = 'public' order by 1`);
    expect(tables.map((r) => r.table_name)).toEqual(expect.arrayContaining(['broker_session', 'lease', 'ledger_entry', 'outbox', 'pnl_snapshot', 'risk_day', 'strategy']));
    // A chain is found by an index, not a scan of the ledger.
    const indexes = await db.em().execute<Array<{ indexname: string }>>(`select indexname from pg_indexes where tablename = 'ledger_entry' order by 1`);
    expect(indexes.map((r) => r.indexname)).toEqual(expect.arrayContaining(['ledger_entry_correlation_id_index', 'ledger_entry_signal_id_index']));
  });

  it('the ledger keeps each verdict and fill once however often it is recorded, and says what it held when another writer differs', async () => {
    const store = new DbChainStore(db, systemClock, rootLogger);
    const raw = signal('a');
    const v = validated(raw);
    const f = filled(v);
    expect((await store.record('paper', [v, f])).size).toBe(0);
    // Redelivered: the same events again, nothing new and nothing to replace.
    expect((await store.record('paper', [v, f, raw])).size).toBe(0);
    // Another holder judged the same signal differently (the same derived id, another quantity).
    const other = validated(raw, 3);
    const held = await store.record('paper', [other]);
    expect(held.get(other.id)?.data).toEqual(v.data);
    // The same broker fill under a new envelope id is the same row.
    const again = { ...f, id: derivedId('re-enveloped') };
    expect((await store.record('paper', [again])).get(again.id)?.id).toBe(f.id);
    const rows = await db.em().execute<Array<{ kind: string; n: string }>>(`select kind, count(*) as n from ledger_entry where correlation_id = ? group by kind order by kind`, [raw.id]);
    expect(rows.map((r) => [r.kind, Number(r.n)])).toEqual([['filled', 1], ['validated', 1]]);
    const history = await store.load('paper');
    expect(history.fills).toHaveLength(1);
    expect(history.fills[0]).toMatchObject({ strategyId: 's1', token: INFY, quantity: 10, pricePaise: 150005, feesPaise: 450 });
    expect(history.validated.map((r) => r.event.id)).toEqual([v.id]);
    expect(history.dayFills.map((r) => r.event.id)).toEqual([f.id]);
    await store.saveDay('paper', { tradingDay: '2025-08-11', state: 'REDUCING', stateCause: 'DAILY_LOSS', dayStartNetPaise: -12345, lastCommandAt: null });
    await store.saveDay('paper', { tradingDay: '2025-08-11', state: 'HALTED', stateCause: 'OPERATOR', dayStartNetPaise: -12345, lastCommandAt: Date.UTC(2025, 7, 11, 5) });
    expect((await store.load('paper')).day).toEqual({ tradingDay: '2025-08-11', state: 'HALTED', stateCause: 'OPERATOR', dayStartNetPaise: -12345, lastCommandAt: Date.UTC(2025, 7, 11, 5) });
    store.close();
  });

  it('strategies: a change is checked before anything is written, and announced in the same transaction', async () => {
    const clock = new TestClock();
    const store = new StrategyStore(db, catalogue, clock);
    expect(await store.seed(loadStrategySpecs('config/strategies.yaml', catalogue))).toBe(4);
    expect(await store.seed(loadStrategySpecs('config/strategies.yaml', catalogue))).toBe(0);
    const outbox = async () => (await db.em().find(OutboxRow, {}, { orderBy: { id: 'asc' } })).map((r) => r.event as unknown as Envelope<'strategy_changed'>);
    const before = (await outbox()).length;
    const added = await administer(store, { op: 'add', id: 'fast', input: { type: 'simple_momentum', instruments: ['INFY'], params: { lookback_period: 5, momentum_threshold: 0.001, position_size: 3 } } });
    expect(added.record).toMatchObject({ id: 'fast', instruments: [INFY], version: 1, active: true, live: false });
    const bad = [
      { op: 'add', id: 'fast', input: { type: 'simple_momentum', instruments: ['INFY'], params: { lookback_period: 5, momentum_threshold: 0.001, position_size: 3 } } },
      { op: 'add', id: 'x', input: { type: 'no_such_type', instruments: ['INFY'] } },
      { op: 'add', id: 'x', input: { type: 'simple_momentum', instruments: ['INFY'], params: { lookback_period: -1, momentum_threshold: 0.001, position_size: 3 } } },
      { op: 'add', id: 'x', input: { type: 'simple_momentum', instruments: ['NOTATHING'], params: { lookback_period: 5, momentum_threshold: 0.001, position_size: 3 } } },
      { op: 'add', id: 'x', input: { type: 'simple_momentum', instruments: ['NIFTY 50'], params: { lookback_period: 5, momentum_threshold: 0.001, position_size: 3 } } },
      { op: 'add', id: 'bad id!', input: { type: 'simple_momentum', instruments: ['INFY'], params: { lookback_period: 5, momentum_threshold: 0.001, position_size: 3 } } },
      { op: 'update', id: 'fast', input: { set: { position_size: 0 } } },
      { op: 'update', id: 'nobody', input: { set: { position_size: 1 } } },
    ] as const;
    const messages = [/already exists/, /unknown strategy type 'no_such_type'/, /params\.lookback_period: Too small/, /'NOTATHING' is not in the instrument catalogue/, /NIFTY 50 is an index, which no broker accepts an order for/, /id 'bad id!'/, /params\.position_size: Too small/, /no strategy 'nobody'/];
    for (const [i, r] of bad.entries()) {
      const e = await administer(store, r as never).catch((x: unknown) => x);
      expect(e, JSON.stringify(r)).toBeInstanceOf(InputError);
      expect((e as Error).message).toMatch(messages[i]!);
    }
    // Nothing of that was written or announced.
    expect((await store.get('fast')).version).toBe(1);
    expect((await store.list()).map((s) => s.id).sort()).toEqual(['breakout-auto', 'fast', 'meanrev-it', 'momentum-banks', 'momentum-reliance']);
    const updated = await store.update('fast', { set: { position_size: 7 } });
    expect(updated).toMatchObject({ version: 2, params: { lookback_period: 5, momentum_threshold: 0.001, position_size: 7 } });
    await store.setLive('fast', true);
    await store.setActive('fast', false);
    const removed = await store.remove('fast');
    expect(removed.record).toMatchObject({ version: 5, removed: true, active: false });
    await expect(store.get('fast')).rejects.toThrow(/no strategy 'fast'/);
    // Added again: revived at a higher version, so an old announcement read again cannot undo it.
    expect((await store.add('fast', { type: 'mean_reversion', instruments: [INFY], params: { window: 20, entry_std: 2, exit_std: 0.5, position_size: 1 } })).version).toBe(6);
    const announced = (await outbox()).slice(before);
    expect(announced.map((e) => [e.data.change, e.data.version])).toEqual([['added', 1], ['updated', 2], ['live_on', 3], ['disabled', 4], ['removed', 5], ['added', 6]]);
    expect(announced.every((e) => e.key === 'fast' && e.type === 'strategy_changed')).toBe(true);
    expect(announced[4]!.data.config).toBeNull();
    expect((await db.em().find(OutboxRow, {}))[0]!.topic).toBe(CONTROL_STRATEGIES);
  });

  it('the chain lease has one holder; it moves only once it has expired or been given up', async () => {
    const a = new Lease(db, 'chain:test', 'a', 600);
    const b = new Lease(db, 'chain:test', 'b', 600);
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(false);
    expect(await a.renew()).toBe(true);
    expect((await b.current())?.holder).toBe('a');
    await new Promise((r) => setTimeout(r, 700));
    expect(await b.acquire()).toBe(true);
    expect(b.epoch).toBe(a.epoch! + 1);
    expect(await a.renew()).toBe(false);
    await b.release();
    expect(await a.acquire()).toBe(true);
  });

  it('broker sessions are stored sealed: the token is not in the row, and opens only with the key', async () => {
    const key = sessionKey({ BROKER_SESSION_KEY: Buffer.alloc(32, 7).toString('base64') })!;
    const clock = new TestClock();
    const store = new SessionStore(db, key, clock);
    await store.save({ userId: 'AB1234', apiKey: 'kite-key', accessToken: 'secret-token-123', expiresAt: new Date(clock.now() + 3_600_000), loginMethod: 'login' });
    const rows = await db.em().execute<Array<{ access_token_sealed: string }>>(`select access_token_sealed from broker_session`);
    expect(rows[0]!.access_token_sealed).not.toContain('secret');
    expect((await store.load({ userId: 'AB1234' }))?.accessToken).toBe('secret-token-123');
    await expect(new SessionStore(db, Buffer.alloc(32, 8), clock).load({ userId: 'AB1234' })).rejects.toThrow(/does not open with BROKER_SESSION_KEY/);
    clock.advance(3_600_000);
    expect(await store.load({ userId: 'AB1234' })).toBeUndefined();
    expect(() => sessionKey({ BROKER_SESSION_KEY: 'too-short' })).toThrow(/expected 32 bytes/);
  });
});

describe('PostgreSQL shared by instances started together', () => {
  it('they migrate and seed an empty database once between them, and all start', async () => {
    const db = await freshPostgres();
    const config = loadConfig({}, { database: { enabled: true, url: db.url, dir: 'unused' } });
    try {
      const opened = await Promise.all([1, 2, 3].map(() => Persistence.open(config, catalogue, systemClock, rootLogger)));
      const first = opened[0]!;
      expect((await first.strategies.all()).map((s) => s.id).sort()).toEqual(loadStrategySpecs(config.trading.strategiesFile, catalogue).map((s) => s.id).sort());
      expect(await first.db.pending()).toEqual([]);
      await Promise.all(opened.map((p) => p.close()));
    } finally {
      await db.drop();
    }
  }, 60_000);
});

describe('the embedded database in a folder', () => {
  it('is created with its parent folders, kept across opens, and refused to a second process while one holds it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ap-db-'));
    const dir = join(root, 'deep', 'db');
    try {
      const db = await Database.open({ enabled: true, url: null, dir }, rootLogger);
      expect(await db.migrate()).toHaveLength(2);
      await expect(Database.open({ enabled: true, url: null, dir }, rootLogger)).rejects.toBeInstanceOf(DatabaseLocked);
      const other = cli(['migrate'], { ALPHA_PANDA_DATABASE__ENABLED: 'true', DATABASE_DIR: dir });
      expect(other.code).toBe(1);
      expect(other.err).toMatch(new RegExp(`the embedded database in ${dir} is in use by process ${process.pid}`));
      await db.close();
      const again = cli(['migrate'], { ALPHA_PANDA_DATABASE__ENABLED: 'true', DATABASE_DIR: dir });
      expect([again.code, again.out.trim()]).toEqual([0, `${dir} is up to date`]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);

  it('the configuration names a bad DATABASE_URL', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL \(database\.url\): expected a postgres:\/\/ URL/);
  });
});
