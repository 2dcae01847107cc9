import { defineEntity, p } from '@mikro-orm/core';

/**
 * The database's tables, one entity each, with `defineEntity` (no decorators). Money is integer paise
 * (bigint): exact, as everywhere in the system. Every row an event made keeps the event itself
 * (`event`, the whole envelope), so what was published can be published again, identical, after a crash.
 */

/** A strategy instance: what `alpha-panda strategies` manages and every instance runs from. */
export const StrategyRow = defineEntity({
  name: 'StrategyRow',
  tableName: 'strategy',
  properties: {
    id: p.string().primary(),
    type: p.string(),
    /** Kite instrument tokens. */
    instruments: p.json<number[]>(),
    /** Validated by the strategy's own schema before they are stored. */
    params: p.json<Record<string, unknown>>(),
    active: p.boolean(),
    live: p.boolean(),
    /** Bumped on every change: an instance applies a change only when it is newer than what it runs. */
    version: p.integer(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
    /**
     * Set when removed: the row stays (at a higher version), so an old announcement of the strategy read
     * again from the control topic can never bring it back.
     */
    removedAt: p.datetime().nullable(),
  },
});

/**
 * The order ledger: each risk decision, order, fill and failure. `dedupeKey` says what makes a row the
 * same effect (a verdict per signal, a placement per signal, a fill per broker order and fill id, a
 * failure per signal): a redelivered event, or one re-published under a new envelope id, is a no-op.
 */
export const LedgerEntryRow = defineEntity({
  name: 'LedgerEntryRow',
  tableName: 'ledger_entry',
  // A chain is looked up by its correlation id or its strategy signal's id (the API, alpha-panda trace).
  indexes: [{ properties: ['namespace', 'tradingDay'] }, { properties: ['namespace', 'strategyId'] }, { properties: ['correlationId'] }, { properties: ['signalId'] }],
  // A broker's fill is one row however it reaches the ledger (NULLs differ: other kinds never clash).
  uniques: [{ properties: ['namespace', 'orderId', 'fillId'] }],
  properties: {
    eventId: p.uuid().primary(),
    dedupeKey: p.string().unique(),
    kind: p.enum(['validated', 'rejected', 'placed', 'filled', 'failed'] as const),
    namespace: p.string(),
    /** The chain: the signal event's id, kept by everything it causes. */
    correlationId: p.uuid(),
    signalId: p.uuid().nullable(),
    strategyId: p.string(),
    instrumentToken: p.bigint('number'),
    side: p.enum(['BUY', 'SELL'] as const),
    quantity: p.integer(),
    /** What the signal was priced at, or the order's limit price, paise. */
    pricePaise: p.bigint('number'),
    fillPricePaise: p.bigint('number').nullable(),
    feesPaise: p.bigint('number').nullable(),
    feeBreakdown: p.json<Record<string, number>>().nullable(),
    feeSchedule: p.string().nullable(),
    orderId: p.string().nullable(),
    fillId: p.string().nullable(),
    reasonCode: p.string().nullable(),
    /** The signal's kind (strategy, square_off, flatten). */
    signalKind: p.string(),
    tradingDay: p.string().length(10),
    eventTs: p.datetime(),
    recordedAt: p.datetime(),
    event: p.json<Record<string, unknown>>(),
  },
});

/** A `pnl_snapshot` as the portfolio published it (strategy null: the total). */
export const PnlSnapshotRow = defineEntity({
  name: 'PnlSnapshotRow',
  tableName: 'pnl_snapshot',
  indexes: [{ properties: ['namespace', 'ts'] }],
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    namespace: p.string(),
    strategyId: p.string().nullable(),
    ts: p.datetime(),
    netPaise: p.bigint('number'),
    cashPaise: p.bigint('number'),
    data: p.json<Record<string, unknown>>(),
  },
});

/** The risk engine's day: the trading day, its state and the loss baseline. Counters come from the ledger. */
export const RiskDayRow = defineEntity({
  name: 'RiskDayRow',
  tableName: 'risk_day',
  properties: {
    namespace: p.string().primary(),
    tradingDay: p.string().length(10),
    state: p.enum(['ACTIVE', 'REDUCING', 'HALTED'] as const),
    /** Why the state is what it is: an operator's state holds across days, a daily-loss state lapses. */
    stateCause: p.enum(['DAILY_LOSS', 'NEW_DAY', 'OPERATOR'] as const).nullable(),
    /** The time of the last operator's command carried out: one delivered again is not carried out twice. */
    lastCommandAt: p.datetime().nullable(),
    dayStartNetPaise: p.bigint('number'),
    updatedAt: p.datetime(),
  },
});

/** A broker session (Zerodha): the access token encrypted at rest (AES-256-GCM), never in clear. */
export const BrokerSessionRow = defineEntity({
  name: 'BrokerSessionRow',
  tableName: 'broker_session',
  properties: {
    userId: p.string().primary(),
    apiKey: p.string(),
    /** base64 of iv (12 bytes) + ciphertext + auth tag (16 bytes). */
    accessTokenSealed: p.text(),
    expiresAt: p.datetime(),
    loginMethod: p.string(),
    createdAt: p.datetime(),
  },
});

/**
 * The transactional outbox: an event written in the same transaction as the change it announces (a
 * strategy added), published by the leader's relay and marked. A change is never left unannounced.
 */
export const OutboxRow = defineEntity({
  name: 'OutboxRow',
  tableName: 'outbox',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    topic: p.string(),
    key: p.string(),
    event: p.json<Record<string, unknown>>(),
    createdAt: p.datetime(),
    publishedAt: p.datetime().nullable(),
  },
});

/** A lease: which instance holds a role that must have one writer (the account-wide chain), until when. */
export const LeaseRow = defineEntity({
  name: 'LeaseRow',
  tableName: 'lease',
  properties: {
    name: p.string().primary(),
    holder: p.string(),
    epoch: p.integer(),
    expiresAt: p.datetime(),
  },
});

export const ENTITIES = [StrategyRow, LedgerEntryRow, PnlSnapshotRow, RiskDayRow, BrokerSessionRow, OutboxRow, LeaseRow];
