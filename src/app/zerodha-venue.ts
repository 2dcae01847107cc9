import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { placedEvent } from '../../actors/execution.ts';
import { orderTracker, type TrackerMessage } from '../../actors/order-tracker.ts';
import type { Supervisor } from '../../supervisors/supervisor.ts';
import { every, type Clock, type Timer } from '../clock.ts';
import type { Config } from '../config/schema.ts';
import { createEvent, type Envelope } from '../contracts/envelope.ts';
import type { ReconciliationFinding } from '../contracts/events.ts';
import { EventRecord } from '../contracts/event-record.ts';
import { topicsFor } from '../contracts/topics.ts';
import type { ChainHistory, ChainStore } from '../db/chain-store.ts';
import type { Database } from '../db/database.ts';
import type { SessionStore } from '../db/session-store.ts';
import { ConfigError } from '../errors.ts';
import { feeModel } from '../execution/fees.ts';
import { istDate } from '../market/market-hours.ts';
import { orderTag } from '../execution/order-tag.ts';
import type { InstrumentCatalogue } from '../market/instruments.ts';
import type { Logger } from '../log.ts';
import { toPaise } from '../money.ts';
import type { ActorRef } from '../runtime/actor-ref.ts';
import type { Outbox } from '../runtime/outbox.ts';
import { publishConfirmed } from '../runtime/outbox.ts';
import type { SignalToFill } from '../telemetry/signal-to-fill.ts';
import type { PipelineStats } from '../telemetry/stats.ts';
import { startCallbackServer } from '../zerodha/callback-server.ts';
import type { KiteApi } from '../zerodha/kite-api.ts';
import { LiveOrders } from '../zerodha/live-orders.ts';
import { reconcile, type LedgerDay } from '../zerodha/reconcile.ts';
import { kiteSession, type KiteSession } from '../zerodha/session.ts';
import { ZerodhaClient } from '../zerodha/zerodha-client.ts';
import { startDivergenceFeed } from './divergence-feed.ts';

/** What the chain gives a live venue when it starts the venue's namespace. */
export interface VenueContext {
  readonly supervisor: Supervisor;
  readonly store: ChainStore;
  readonly stats: PipelineStats;
  readonly history: ChainHistory;
  readonly producer: Outbox;
  /** The namespace's signal-to-fill latency, for the fills the tracker makes. */
  readonly latency?: SignalToFill;
}

export interface ZerodhaVenueOptions {
  readonly config: Config;
  readonly catalogue: InstrumentCatalogue;
  readonly clock: Clock;
  readonly log: Logger;
  readonly apiKey: string;
  /** Signs the login exchange and checks postbacks; never sent to Kite, never logged. */
  readonly apiSecret: string;
  /** Sealed session storage (survives restarts; a login in another process reaches this one). */
  readonly sessions: SessionStore | undefined;
  /** The ledger's database: where paper and live chains are compared. Absent: no divergence events. */
  readonly db?: Database | undefined;
}

/**
 * Zerodha as the chain sees it: the execution client that places, the order tracker that follows each
 * order to its fills, the session both run on, and reconciliation against Kite's books at start-up and
 * after every login. One per process; Kite's rate limits are per API key, so everything it sends shares
 * one gate.
 */
export class ZerodhaVenue {
  readonly api: KiteApi;
  readonly session: KiteSession;
  readonly orders = new LiveOrders();
  readonly client: ZerodhaClient;
  private tracker: ActorRef<TrackerMessage> | undefined;
  private ctx: VenueContext | undefined;
  private pollTimer: Timer | undefined;
  /** A poll is in the tracker's hands: the next waits for it. */
  private polling = false;
  private callbacks: Server | undefined;
  private divergence: Timer | undefined;
  private readonly o: ZerodhaVenueOptions;

  constructor(o: ZerodhaVenueOptions) {
    this.o = o;
    const settings = o.config.zerodha;
    const log = o.log.child({ component: 'zerodha' });
    const onUnreadable = (what: string, problem: string, entry: unknown) => log.error({ problem, entry }, `a ${what} from Kite that does not parse: left out (reconcile it by hand)`);
    ({ api: this.api, session: this.session } = kiteSession({ settings, apiKey: o.apiKey, store: o.sessions, clock: o.clock, log, onUnreadable }));
    this.client = new ZerodhaClient({ api: this.api, session: this.session, orders: this.orders, catalogue: o.catalogue, clock: o.clock, log, attempts: settings.placeAttempts, settleMs: settings.settleMs, maxSignalAgeMs: settings.maxSignalAgeMs });
  }

  /** Spawns the tracker, restores the day's open orders from the ledger, takes the session and reconciles. */
  async start(ctx: VenueContext): Promise<{ onPlaced(e: Envelope<'order_placed'>): void }> {
    this.ctx = ctx;
    const { config, catalogue } = this.o;
    this.tracker = ctx.supervisor.spawn({ name: 'orders', behaviour: orderTracker({ api: this.api, orders: this.orders, fees: feeModel(config.fees), catalogue, store: ctx.store, stats: ctx.stats, polled: () => (this.polling = false), ...(ctx.latency ? { latency: ctx.latency } : {}) }) });
    // Today's orders only: Kite's order book is the day's, and an intraday order does not outlive it.
    const today = ofToday(ctx.history, this.o.clock.now());
    for (const p of today.placed) this.orders.follow(p.event as Envelope<'order_placed'>);
    for (const f of today.dayFills) {
      const e = f.event as Envelope<'order_filled'>;
      const o = this.orders.get(e.data.order_id);
      if (o) this.orders.applied(o, { fillId: e.data.fill_id, quantity: e.data.quantity, price: toPaise(e.data.fill_price) });
    }
    for (const f of today.failed) {
      const id = (f.event as Envelope<'order_failed'>).data.order_id;
      const o = id ? this.orders.get(id) : undefined;
      if (o) o.ended = true;
    }
    this.session.onChange((s) => {
      if (s.kind === 'active') void this.reconcile();
    });
    await this.session.start();
    const s = this.session.current;
    if (s.kind === 'none') this.o.log.warn({ why: s.why }, 'no Kite session: live orders fail with SESSION_EXPIRED until a login (alpha-panda session login)');
    this.pollTimer = every(this.o.clock, config.zerodha.pollMs, () => this.session.current.kind === 'active' && this.poll());
    if (this.o.db) this.divergence = startDivergenceFeed(this.o.db, ctx.producer, this.o.clock, this.o.log.child({ component: 'divergence' }), config.zerodha.divergenceMs);
    return { onPlaced: (e) => this.tracker?.tell({ kind: 'placed', event: e }) };
  }

  /** A postback or an order frame: the tracker reads the order's trades if it moved. */
  update(message: Extract<TrackerMessage, { kind: 'update' }>): void {
    this.tracker?.tell(message);
  }

  /**
   * The day at Kite against the ledger: every order's tag becomes known (so nothing is placed twice), the
   * findings are logged and published, and the tracker applies what filled while the system was down.
   */
  async reconcile(): Promise<void> {
    const ctx = this.ctx;
    if (!ctx || this.session.current.kind !== 'active') return;
    const log = this.o.log.child({ component: 'reconciliation' });
    try {
      const [orders, trades, positions] = [await this.api.orders(), await this.api.trades(), await this.api.positions()];
      for (const o of orders) this.orders.know(o.order_id, o.tag);
      this.orders.synced = true;
      const today = ofToday(await ctx.store.load('zerodha'), this.o.clock.now());
      const findings = reconcile({ orders, trades, positions }, ledgerDay(today));
      const now = this.o.clock.now();
      await this.adopt(findings, today, now);
      const data = { orders: orders.length, trades: trades.length, findings, timestamp: new Date(now).toISOString() };
      const event = createEvent({ type: 'broker_reconciliation', broker: 'zerodha', source: 'reconciliation/zerodha', key: 'zerodha', data, now });
      await publishConfirmed(ctx.producer, [new EventRecord(topicsFor('zerodha').reconciliation, event, {})]);
      if (findings.length === 0) log.info({ orders: orders.length, trades: trades.length }, 'Kite and the ledger agree');
      else log.warn({ orders: orders.length, trades: trades.length, findings }, `reconciliation found ${findings.length} difference(s) between Kite and the ledger`);
      this.poll();
    } catch (e) {
      log.error({ err: e }, 'reconciliation with Kite failed: every placement looks its tag up first until it succeeds');
    }
  }

  /** Kite's login redirect and postbacks, on zerodha.callbackPort (0: none). */
  async serve(): Promise<number | undefined> {
    const port = this.o.config.zerodha.callbackPort;
    if (port === 0) return undefined;
    const log = this.o.log.child({ component: 'kite-callbacks' });
    try {
      this.callbacks = await startCallbackServer({ host: this.o.config.zerodha.callbackHost, port }, this.o.apiSecret, { login: async (token) => `Logged in to Kite as ${(await this.session.login(token, this.o.apiSecret)).userId}: live trading accepts orders. This window can be closed.`, postback: (update) => this.update({ kind: 'update', update, via: 'postback' }) }, log);
    } catch (e) {
      throw new ConfigError([`zerodha.callbackPort ${port}: ${(e as Error).message} (set KITE_CALLBACK_PORT to a free port, or 0 to take no login redirects or postbacks)`]);
    }
    const bound = (this.callbacks.address() as AddressInfo).port;
    log.info({ login: `http://127.0.0.1:${bound}/kite/login`, postback: `http://127.0.0.1:${bound}/kite/postback` }, 'Kite redirect and postback URLs (register them for the API key)');
    return bound;
  }

  /**
   * Orders of ours at Kite that the ledger has no placement for (the process stopped mid-placement, or the
   * signal was recorded failed while its order was being made) get their `order_placed` now, caused by
   * their validation, and are followed to their fills: no live position goes unrecorded.
   */
  private async adopt(findings: readonly ReconciliationFinding[], today: ReturnType<typeof ofToday>, now: number): Promise<void> {
    const ctx = this.ctx!;
    const validations = new Map(today.validated.flatMap((r) => (r.signalId ? [[orderTag(r.signalId), r.event as Envelope<'validated_signal'>] as const] : [])));
    const placed: Envelope<'order_placed'>[] = [];
    for (const f of findings) {
      if (f.kind !== 'unrecorded_order' && f.kind !== 'failed_but_placed') continue;
      const v = validations.get(f.tag);
      if (v) placed.push(placedEvent('zerodha', v, f.order_id, f.tag, now));
    }
    if (placed.length === 0) return;
    const held = await ctx.store.record('zerodha', placed);
    const events = placed.map((e) => (held.get(e.id) as Envelope<'order_placed'> | undefined) ?? e);
    await publishConfirmed(ctx.producer, events.map((e) => new EventRecord(topicsFor('zerodha').ordersSubmitted, e, {})));
    for (const e of events) this.orders.follow(e);
    this.o.log.warn({ orders: events.map((e) => e.data.order_id) }, 'orders at Kite the ledger had not recorded are adopted: their fills are followed');
  }

  stop(): void {
    this.pollTimer?.cancel();
    this.divergence?.cancel();
    this.session.stop();
    this.callbacks?.close();
    this.callbacks?.closeAllConnections();
  }

  private poll(): void {
    if (this.polling || !this.tracker) return;
    this.polling = true;
    this.tracker.tell({ kind: 'poll' });
  }
}

/** The history's records of today (IST): before today's first trade the ledger's latest day is yesterday. */
function ofToday(h: ChainHistory, now: number): Pick<ChainHistory, 'placed' | 'dayFills' | 'failed' | 'validated'> {
  const day = istDate(now);
  const mine = (rs: ChainHistory['placed']) => rs.filter((r) => istDate(r.ts) === day);
  return { placed: mine(h.placed), dayFills: mine(h.dayFills), failed: mine(h.failed), validated: mine(h.validated) };
}

/** The day's zerodha ledger as reconciliation reads it. */
function ledgerDay(h: ReturnType<typeof ofToday>): LedgerDay {
  const executed = new Set([...h.placed, ...h.failed].map((r) => r.signalId));
  return {
    placed: h.placed.map((r) => ({ orderId: (r.event as Envelope<'order_placed'>).data.order_id, tag: (r.event as Envelope<'order_placed'>).data.tag ?? null })),
    fills: h.dayFills.map((r) => ({ orderId: (r.event as Envelope<'order_filled'>).data.order_id, fillId: (r.event as Envelope<'order_filled'>).data.fill_id, token: r.token, quantity: r.quantity })),
    failedTags: new Set(h.failed.flatMap((r) => (r.signalId ? [orderTag(r.signalId)] : []))),
    awaitingTags: new Set(h.validated.filter((r) => r.signalId && !executed.has(r.signalId)).map((r) => orderTag(r.signalId!))),
  };
}
