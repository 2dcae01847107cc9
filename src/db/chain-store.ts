import type { InferEntity } from '@mikro-orm/core';
import type { Clock } from '../clock.ts';
import type { AnyEnvelope, Envelope } from '../contracts/envelope.ts';
import type { TradingStateCause, TradingStateName, TradingSignal } from '../contracts/events.ts';
import type { BrokerNamespace } from '../contracts/topics.ts';
import { asError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { istDate } from '../market/market-hours.ts';
import { toPaise, type Paise } from '../money.ts';
import type { Database } from './database.ts';
import { LedgerEntryRow, PnlSnapshotRow, RiskDayRow } from './entities.ts';

/** A fill as recovery needs it. */
export interface FillRecord {
  readonly strategyId: string;
  readonly token: number;
  /** + bought, - sold. */
  readonly quantity: number;
  readonly pricePaise: Paise;
  readonly feesPaise: Paise;
  readonly orderId: string;
  readonly fillId: string;
  readonly correlationId: string;
  readonly ts: number;
}

/** A verdict (or a failure) as recovery needs it: whose, how much, when, and the event itself. */
export interface ChainRecord {
  readonly strategyId: string;
  readonly token: number;
  readonly quantity: number;
  readonly correlationId: string;
  readonly signalId: string | null;
  readonly ts: number;
  readonly event: AnyEnvelope;
}

/** What a namespace's chain left in the database: enough to rebuild risk, execution and the portfolio. */
export interface ChainHistory {
  /** Every fill, oldest first. */
  readonly fills: readonly FillRecord[];
  /** The last trading day's verdicts (validated and rejected), failures, placements and fills. */
  readonly validated: readonly ChainRecord[];
  readonly dayFills: readonly ChainRecord[];
  readonly rejected: readonly ChainRecord[];
  readonly failed: readonly ChainRecord[];
  readonly placed: readonly ChainRecord[];
  readonly day: RiskDay | undefined;
}

/** What the risk engine keeps of its day (src/risk/engine.ts `dayState`). */
export interface RiskDay {
  readonly tradingDay: string;
  readonly state: TradingStateName;
  /** Why the state is what it is (null: never changed). */
  readonly stateCause: TradingStateCause | null;
  readonly dayStartNetPaise: Paise;
  /** ms since the epoch of the last operator's command carried out, or null. */
  readonly lastCommandAt: number | null;
}

export const EMPTY_HISTORY: ChainHistory = { fills: [], dayFills: [], validated: [], rejected: [], failed: [], placed: [], day: undefined };

/**
 * Where the account-wide chain makes its effects durable before it publishes them: each verdict, order,
 * fill and failure a row, each once (a row's dedupe key), the risk engine's day, the P&L snapshots.
 * Without a database (`NO_STORE`) nothing is kept, and a restart starts from what the log replays.
 */
export interface ChainStore {
  readonly durable: boolean;
  /**
   * Records the chain events among `events` (others are ignored); resolves once they are durable, with
   * the events the ledger already held for the same effect where they differ from the ones given (an
   * instance that lost its lease and judged again): those are what must be published instead.
   */
  record(ns: BrokerNamespace, events: readonly Envelope[]): Promise<ReadonlyMap<string, Envelope>>;
  saveDay(ns: BrokerNamespace, day: RiskDay): Promise<void>;
  saveSnapshots(ns: BrokerNamespace, snapshots: readonly Envelope<'pnl_snapshot'>[]): Promise<void>;
  load(ns: BrokerNamespace): Promise<ChainHistory>;
}

const NONE: ReadonlyMap<string, Envelope> = new Map();

export const NO_STORE: ChainStore = {
  durable: false,
  record: async () => NONE,
  saveDay: async () => undefined,
  saveSnapshots: async () => undefined,
  load: async () => EMPTY_HISTORY,
};

type Row = InferEntity<typeof LedgerEntryRow>;

const signed = (side: 'BUY' | 'SELL', q: number) => (side === 'BUY' ? q : -q);

/** Equal as JSON values, whatever order their keys are in (jsonb keeps its own order). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** The ledger row of a chain event, or undefined for an event that is not one. */
export function ledgerRow(ns: BrokerNamespace, e: Envelope): Row | undefined {
  const event = e as AnyEnvelope;
  const base = { eventId: e.id, namespace: ns, correlationId: e.correlation_id, recordedAt: new Date(), event: e as unknown as Record<string, unknown> };
  const fromSignal = (s: TradingSignal, quantity: number, price: number) => ({
    ...base,
    signalId: s.signal_id,
    strategyId: s.strategy_id,
    instrumentToken: s.instrument_token,
    side: s.signal_type,
    quantity,
    pricePaise: toPaise(price),
    signalKind: s.kind ?? 'strategy',
    tradingDay: istDate(Date.parse(s.timestamp)),
    eventTs: new Date(s.timestamp),
    fillPricePaise: null,
    feesPaise: null,
    feeBreakdown: null,
    feeSchedule: null,
    orderId: null,
    fillId: null,
    reasonCode: null,
  });
  switch (event.type) {
    case 'validated_signal': {
      const d = event.data;
      return { ...fromSignal(d.original_signal, d.validated_quantity, d.validated_price), kind: 'validated', dedupeKey: `${ns}|verdict|${e.correlation_id}` };
    }
    case 'rejected_signal': {
      const d = event.data;
      return { ...fromSignal(d.original_signal, d.original_signal.quantity, d.original_signal.price), kind: 'rejected', reasonCode: d.reason_code, dedupeKey: `${ns}|verdict|${e.correlation_id}` };
    }
    case 'order_placed':
    case 'order_filled':
    case 'order_failed': {
      const d = event.data;
      const row = {
        ...base,
        signalId: d.signal_id ?? null,
        strategyId: d.strategy_id,
        instrumentToken: d.instrument_token,
        side: d.signal_type,
        quantity: d.quantity,
        signalKind: 'strategy',
        tradingDay: istDate(Date.parse(d.timestamp)),
        eventTs: new Date(d.timestamp),
        orderId: d.order_id,
        fillPricePaise: null,
        feesPaise: null,
        feeBreakdown: null,
        feeSchedule: null,
        fillId: null,
        reasonCode: null,
      };
      if (event.type === 'order_placed') return { ...row, kind: 'placed', pricePaise: toPaise(event.data.price), dedupeKey: `${ns}|placed|${e.correlation_id}` };
      if (event.type === 'order_failed') return { ...row, kind: 'failed', pricePaise: toPaise(event.data.price), reasonCode: event.data.reason_code, dedupeKey: `${ns}|failed|${e.correlation_id}` };
      const f = event.data;
      return {
        ...row,
        kind: 'filled',
        pricePaise: toPaise(f.fill_price),
        fillPricePaise: toPaise(f.fill_price),
        feesPaise: toPaise(f.fees),
        feeBreakdown: f.fee_breakdown,
        feeSchedule: f.fee_schedule,
        fillId: f.fill_id,
        dedupeKey: `${ns}|fill|${f.order_id}|${f.fill_id}`,
      };
    }
    default:
      return undefined;
  }
}

/**
 * The ledger's hot write: one multi-row insert that skips rows already there (any unique key), written
 * out from the entity's discovered columns rather than built by the query builder per batch (building it
 * cost four times the statement).
 */
class LedgerInsert {
  private readonly columns: ReadonlyArray<readonly [keyof Row, string]>;
  private readonly head: string;
  private readonly tuple: string;

  constructor(db: Database) {
    const meta = db.em().getMetadata().get(LedgerEntryRow);
    this.columns = meta.props.filter((p) => p.fieldNames?.length === 1).map((p) => [p.name as keyof Row, p.fieldNames[0]!] as const);
    this.head = `insert into "${meta.tableName}" (${this.columns.map(([, c]) => `"${c}"`).join(', ')}) values `;
    this.tuple = `(${this.columns.map(() => '?').join(', ')})`;
  }

  sql(rows: number): string {
    return `${this.head}${Array.from({ length: rows }, () => this.tuple).join(', ')} on conflict do nothing`;
  }

  values(rows: readonly Row[]): unknown[] {
    return rows.flatMap((r) =>
      this.columns.map(([k]) => {
        const v = r[k];
        if (v === undefined || v === null) return null;
        if (v instanceof Date) return v.toISOString();
        return typeof v === 'object' ? JSON.stringify(v) : v;
      }),
    );
  }
}

/**
 * The chain store on the database. A write that fails because the database is unreachable is tried
 * again with backoff until it succeeds (an outage stalls the chain, which backpressure then holds
 * upstream; it loses nothing), or until `close()` at shutdown.
 */
export class DbChainStore implements ChainStore {
  readonly durable = true;
  private closed = false;
  private readonly db: Database;
  private readonly clock: Clock;
  private readonly log: Logger;
  private insert: LedgerInsert | undefined;

  constructor(db: Database, clock: Clock, log: Logger) {
    this.db = db;
    this.clock = clock;
    this.log = log;
  }

  close(): void {
    this.closed = true;
  }

  private async retrying(what: string, op: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await op();
      } catch (e) {
        if (this.closed) throw e;
        const delay = Math.min(5000, 100 * 2 ** Math.min(attempt, 6));
        if (attempt === 1 || attempt % 10 === 0) this.log.warn({ err: asError(e), attempt, delayMs: delay }, `${what} failed; will retry`);
        await new Promise<void>((r) => this.clock.schedule(delay, r));
      }
    }
  }

  async record(ns: BrokerNamespace, events: readonly Envelope[]): Promise<ReadonlyMap<string, Envelope>> {
    const rows = events.map((e) => ledgerRow(ns, e)).filter((r): r is Row => r !== undefined);
    if (rows.length === 0) return NONE;
    let inserted = 0;
    await this.retrying('recording the ledger', async () => {
      const insert = (this.insert ??= new LedgerInsert(this.db));
      const r = await this.db.em().execute(insert.sql(rows.length), insert.values(rows), 'run');
      inserted = (r as { affectedRows?: number }).affectedRows ?? rows.length;
    });
    if (inserted === rows.length) return NONE;
    // Some were there already: a redelivery (the same events) or another holder's (different ones).
    const stored = await this.db.em().find(LedgerEntryRow, { dedupeKey: { $in: rows.map((r) => r.dedupeKey) } }, { fields: ['dedupeKey', 'event'] });
    const byKey = new Map(stored.map((r) => [r.dedupeKey, r.event as unknown as Envelope]));
    const out = new Map<string, Envelope>();
    for (const r of rows) {
      const held = byKey.get(r.dedupeKey);
      if (held && (held.id !== r.eventId || !sameJson(held.data, (r.event as unknown as Envelope).data))) out.set(r.eventId, held);
    }
    return out;
  }

  async saveDay(ns: BrokerNamespace, day: RiskDay): Promise<void> {
    const { tradingDay, state, stateCause, dayStartNetPaise, lastCommandAt } = day;
    await this.retrying('saving the risk day', async () => {
      await this.db.em().upsert(RiskDayRow, { namespace: ns, tradingDay, state, stateCause, lastCommandAt: lastCommandAt === null ? null : new Date(lastCommandAt), dayStartNetPaise, updatedAt: new Date() });
    });
  }

  async saveSnapshots(ns: BrokerNamespace, snapshots: readonly Envelope<'pnl_snapshot'>[]): Promise<void> {
    if (snapshots.length === 0) return;
    const rows = snapshots.map((s) => ({
      namespace: ns,
      strategyId: s.data.strategy_id,
      ts: new Date(s.data.timestamp),
      netPaise: toPaise(s.data.realized_pnl + s.data.unrealized_pnl - s.data.fees),
      cashPaise: toPaise(s.data.cash),
      data: s.data as unknown as Record<string, unknown>,
    }));
    await this.retrying('saving P&L snapshots', async () => {
      await this.db.em().insertMany(PnlSnapshotRow, rows);
    });
  }

  async load(ns: BrokerNamespace): Promise<ChainHistory> {
    const em = this.db.em();
    const day = await em.findOne(RiskDayRow, { namespace: ns });
    const fills = await em.find(LedgerEntryRow, { namespace: ns, kind: 'filled' }, { fields: ['strategyId', 'instrumentToken', 'side', 'quantity', 'fillPricePaise', 'feesPaise', 'orderId', 'fillId', 'correlationId', 'eventTs'], orderBy: { eventTs: 'asc', recordedAt: 'asc' } });
    const latest = day?.tradingDay ?? (await em.findOne(LedgerEntryRow, { namespace: ns }, { orderBy: { tradingDay: 'desc' }, fields: ['tradingDay'] }))?.tradingDay;
    const ofDay = latest ? await em.find(LedgerEntryRow, { namespace: ns, tradingDay: latest }, { orderBy: { eventTs: 'asc', recordedAt: 'asc' } }) : [];
    const record = (r: Row): ChainRecord => ({ strategyId: r.strategyId, token: r.instrumentToken, quantity: signed(r.side, r.quantity), correlationId: r.correlationId, signalId: r.signalId ?? null, ts: r.eventTs.getTime(), event: r.event as unknown as AnyEnvelope });
    return {
      fills: fills.map((r) => ({ strategyId: r.strategyId, token: r.instrumentToken, quantity: signed(r.side, r.quantity), pricePaise: r.fillPricePaise!, feesPaise: r.feesPaise!, orderId: r.orderId!, fillId: r.fillId!, correlationId: r.correlationId, ts: r.eventTs.getTime() })),
      validated: ofDay.filter((r) => r.kind === 'validated').map(record),
      dayFills: ofDay.filter((r) => r.kind === 'filled').map(record),
      rejected: ofDay.filter((r) => r.kind === 'rejected').map(record),
      failed: ofDay.filter((r) => r.kind === 'failed').map(record),
      placed: ofDay.filter((r) => r.kind === 'placed').map(record),
      day: day ? { tradingDay: day.tradingDay, state: day.state, stateCause: day.stateCause ?? null, dayStartNetPaise: day.dayStartNetPaise, lastCommandAt: day.lastCommandAt ? day.lastCommandAt.getTime() : null } : undefined,
    };
  }
}
