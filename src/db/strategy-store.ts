import type { InferEntity } from '@mikro-orm/core';
import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../clock.ts';
import { createEvent } from '../contracts/envelope.ts';
import type { StrategyChanged } from '../contracts/events.ts';
import { CONTROL_STRATEGIES } from '../contracts/topics.ts';
import { ConfigError, ConflictError, NotFoundError } from '../errors.ts';
import type { InstrumentCatalogue } from '../market/instruments.ts';
import { checkStrategy, type StrategySpec } from '../strategies/config.ts';
import type { Database } from './database.ts';
import { LedgerEntryRow, OutboxRow, StrategyRow } from './entities.ts';

type Row = InferEntity<typeof StrategyRow>;

/** A strategy as stored: its spec, its version and when it changed. */
export interface StrategyRecord extends StrategySpec {
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly removed: boolean;
}

/** What a change asks for; unnamed fields stay as they are. */
export interface StrategyInput {
  readonly type?: string;
  readonly instruments?: readonly (number | string)[];
  /** Replaces the parameters. */
  readonly params?: Record<string, unknown>;
  /** Sets some parameters, keeping the others. */
  readonly set?: Record<string, unknown>;
  readonly active?: boolean;
  readonly live?: boolean;
}

/** What a strategy still holds, per namespace and instrument, from the ledger's fills. */
export interface OpenPosition {
  readonly namespace: string;
  readonly instrument: number;
  readonly quantity: number;
}

export type StrategyChange = StrategyChanged['change'];

/** The ledger's account of a strategy in one namespace. */
export interface StrategyActivity {
  readonly namespace: string;
  /** Signals risk judged (validated or rejected). */
  readonly judged: number;
  readonly fills: number;
  /** When its first and last ledger rows were recorded (ISO). */
  readonly firstAt: string | null;
  readonly lastAt: string | null;
  readonly lastFillQuantity: number | null;
}

const recordOf = (r: Row): StrategyRecord => ({
  id: r.id,
  type: r.type,
  instruments: r.instruments,
  params: r.params,
  active: r.active,
  live: r.live,
  version: r.version,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
  removed: r.removedAt !== null && r.removedAt !== undefined,
});

/**
 * Strategy configuration in the database. Every change is checked as the YAML file is (type, the
 * strategy's parameter schema, known and tradable instruments, a unique id) before anything is
 * written, and is written in one transaction with its announcement in the outbox: a change is never
 * stored unannounced, nor announced unstored. A removed strategy keeps its row (at a higher version),
 * so that an old announcement can never bring it back; adding its id again revives it.
 */
export class StrategyStore {
  private readonly db: Database;
  private readonly catalogue: InstrumentCatalogue;
  private readonly clock: Clock;

  constructor(db: Database, catalogue: InstrumentCatalogue, clock: Clock) {
    this.db = db;
    this.catalogue = catalogue;
    this.clock = clock;
  }

  /** Every strategy, removed ones included (`removed`): what an instance reconciles against. */
  async all(): Promise<StrategyRecord[]> {
    return (await this.db.em().find(StrategyRow, {}, { orderBy: { id: 'asc' } })).map(recordOf);
  }

  /** The strategies not removed. */
  async list(): Promise<StrategyRecord[]> {
    return (await this.all()).filter((r) => !r.removed);
  }

  async get(id: string): Promise<StrategyRecord> {
    const row = await this.db.em().findOne(StrategyRow, { id });
    if (!row || row.removedAt) throw new NotFoundError([`no strategy '${id}' (see: alpha-panda strategies list)`]);
    return recordOf(row);
  }

  /** Writes the file's strategies into an empty table (the first start); returns how many. */
  async seed(specs: readonly StrategySpec[]): Promise<number> {
    return this.db.em().transactional(async (em) => {
      if ((await em.count(StrategyRow, {})) > 0) return 0;
      const now = new Date(this.clock.now());
      for (const s of specs) em.create(StrategyRow, { ...s, instruments: [...s.instruments], version: 1, createdAt: now, updatedAt: now, removedAt: null });
      await em.flush();
      return specs.length;
    });
  }

  async add(id: string, input: StrategyInput): Promise<StrategyRecord> {
    if (!input.type) throw new ConfigError([`strategy '${id}': give its type (--type; known: see alpha-panda strategies types)`]);
    if (!input.instruments?.length) throw new ConfigError([`strategy '${id}': give its instruments (--instruments)`]);
    const spec = this.check(id, { type: input.type, instruments: input.instruments, params: { ...(input.params ?? {}), ...(input.set ?? {}) }, active: input.active ?? true, live: input.live ?? false });
    try {
      return await this.db.em().transactional(async (em) => {
        const now = new Date(this.clock.now());
        const old = await em.findOne(StrategyRow, { id });
        if (old && !old.removedAt) throw new ConflictError([`strategy '${id}' already exists: change it with 'strategies update ${id}', or choose another id`]);
        let row: Row;
        if (old) {
          em.assign(old, { ...spec, instruments: [...spec.instruments], version: old.version + 1, updatedAt: now, removedAt: null });
          row = old;
        } else {
          row = em.create(StrategyRow, { ...spec, instruments: [...spec.instruments], version: 1, createdAt: now, updatedAt: now, removedAt: null });
        }
        this.announce(em, row, 'added');
        await em.flush();
        return recordOf(row);
      });
    } catch (e) {
      if (e instanceof UniqueConstraintViolationException) throw new ConflictError([`strategy '${id}' already exists (added meanwhile)`]);
      throw e;
    }
  }

  async update(id: string, input: StrategyInput): Promise<StrategyRecord> {
    return this.change(id, (old) => {
      const params = input.params ?? old.params;
      return { ...old, type: input.type ?? old.type, instruments: input.instruments ?? old.instruments, params: { ...params, ...(input.set ?? {}) } };
    }, 'updated');
  }

  async setActive(id: string, active: boolean): Promise<StrategyRecord> {
    return this.change(id, (old) => ({ ...old, active }), active ? 'enabled' : 'disabled');
  }

  async setLive(id: string, live: boolean): Promise<StrategyRecord> {
    return this.change(id, (old) => ({ ...old, live }), live ? 'live_on' : 'live_off');
  }

  /** Removes a strategy; returns what it still holds, which nothing will now close for it. */
  async remove(id: string): Promise<{ record: StrategyRecord; open: OpenPosition[] }> {
    const record = await this.db.em().transactional(async (em) => {
      const row = await this.live(em, id);
      em.assign(row, { active: false, version: row.version + 1, updatedAt: new Date(this.clock.now()), removedAt: new Date(this.clock.now()) });
      this.announce(em, row, 'removed');
      await em.flush();
      return recordOf(row);
    });
    return { record, open: await this.openPositions(id) };
  }

  /** What the ledger holds of the strategy: verdicts and fills, per namespace, and when the first and last were recorded. */
  async activity(id: string): Promise<StrategyActivity[]> {
    const rows = await this.db.em().execute<Array<{ namespace: string; judged: string; fills: string; first: Date | null; last: Date | null; last_fill_quantity: number | null }>>(
      `select namespace,
              count(*) filter (where kind in ('validated', 'rejected')) as judged,
              count(*) filter (where kind = 'filled') as fills,
              min(recorded_at) as first, max(recorded_at) as last,
              (select quantity from ledger_entry f where f.strategy_id = l.strategy_id and f.namespace = l.namespace and f.kind = 'filled' order by f.event_ts desc, f.recorded_at desc limit 1) as last_fill_quantity
       from ledger_entry l where strategy_id = ? group by namespace, strategy_id order by namespace`,
      [id],
    );
    return rows.map((r) => ({ namespace: r.namespace, judged: Number(r.judged), fills: Number(r.fills), firstAt: r.first ? new Date(r.first).toISOString() : null, lastAt: r.last ? new Date(r.last).toISOString() : null, lastFillQuantity: r.last_fill_quantity }));
  }

  /** Net filled quantity per namespace and instrument, from the ledger. */
  async openPositions(id: string): Promise<OpenPosition[]> {
    const rows = await this.db.em().find(LedgerEntryRow, { strategyId: id, kind: 'filled' }, { fields: ['namespace', 'instrumentToken', 'side', 'quantity'] });
    const net = new Map<string, OpenPosition>();
    for (const r of rows) {
      const k = `${r.namespace}|${r.instrumentToken}`;
      const q = (net.get(k)?.quantity ?? 0) + (r.side === 'BUY' ? r.quantity : -r.quantity);
      net.set(k, { namespace: r.namespace, instrument: r.instrumentToken, quantity: q });
    }
    return [...net.values()].filter((p) => p.quantity !== 0);
  }

  private check(id: string, spec: Omit<StrategySpec, 'id' | 'instruments'> & { instruments: readonly (number | string)[] }): StrategySpec {
    return checkStrategy({ id, strategy: spec.type, instruments: spec.instruments, params: spec.params, enabled: spec.active, live: spec.live }, `strategy '${id}'`, this.catalogue);
  }

  private async live(em: EntityManager, id: string): Promise<Row> {
    const row = await em.findOne(StrategyRow, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!row || row.removedAt) throw new NotFoundError([`no strategy '${id}' (see: alpha-panda strategies list)`]);
    return row;
  }

  private async change(id: string, next: (old: StrategySpec) => Omit<StrategySpec, 'instruments'> & { instruments: readonly (number | string)[] }, change: StrategyChange): Promise<StrategyRecord> {
    return this.db.em().transactional(async (em) => {
      const row = await this.live(em, id);
      const spec = this.check(id, next(recordOf(row)));
      em.assign(row, { ...spec, instruments: [...spec.instruments], version: row.version + 1, updatedAt: new Date(this.clock.now()) });
      this.announce(em, row, change);
      await em.flush();
      return recordOf(row);
    });
  }

  /** The change's announcement, in the same transaction. */
  private announce(em: EntityManager, row: Row, change: StrategyChange): void {
    const now = this.clock.now();
    const config = change === 'removed' ? null : { type: row.type, instruments: [...row.instruments], params: row.params, active: row.active, live: row.live };
    const event = createEvent({ type: 'strategy_changed', broker: 'control', source: 'strategies', key: row.id, data: { strategy_id: row.id, version: row.version, change, config, timestamp: new Date(now).toISOString() }, now });
    em.create(OutboxRow, { topic: CONTROL_STRATEGIES, key: row.id, event: event as unknown as Record<string, unknown>, createdAt: new Date(now), publishedAt: null });
  }
}
