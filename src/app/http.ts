import { apiApp } from '../api/app.ts';
import { ApiProblem } from '../api/problem.ts';
import type { ApiAuth } from '../api/auth.ts';
import type { ApiContext } from '../api/context.ts';
import type { Activity, RiskStateView } from '../api/schemas.ts';
import { listen, type HttpServer } from '../api/server.ts';
import type { Config } from '../config/schema.ts';
import { createEvent } from '../contracts/envelope.ts';
import { VERSION } from '../version.ts';
import { EventRecord } from '../contracts/event-record.ts';
import { topicsFor, type BrokerNamespace } from '../contracts/topics.ts';
import { administer } from '../control/strategy-admin.ts';
import { queryLedger } from '../db/ledger-query.ts';
import type { Logger } from '../log.ts';
import type { InstrumentCatalogue } from '../market/instruments.ts';
import { toRupees } from '../money.ts';
import { publishConfirmed } from '../runtime/outbox.ts';
import type { KiteSession } from '../zerodha/session.ts';
import type { ActorSystem } from './actor-system.ts';
import type { Persistence } from './persistence.ts';
import type { Pipeline, StartupProgress } from './pipeline.ts';
import { namespacesFor } from '../execution/routing.ts';
import { orTimeout } from './health.ts';
import { summaryData } from './report.ts';
import { chainEventsOnBus } from '../chains/bus-lookup.ts';
import { chainView } from '../chains/chain-view.ts';
import { chainEventsInLedger } from '../chains/ledger-lookup.ts';
import { CORRELATION_ID } from '../telemetry/attributes.ts';


export interface HttpOptions {
  readonly config: Config;
  readonly system: ActorSystem;
  /** The pipeline once it has started (the API answers from the start of the run: 503 until then). */
  readonly pipeline: () => Pipeline | undefined;
  readonly progress: StartupProgress;
  readonly catalogue: InstrumentCatalogue;
  readonly persistence: Persistence | undefined;
  readonly instanceId: string;
  readonly session: KiteSession | undefined;
  readonly metrics: ApiContext['metrics'];
  readonly log: Logger;
  readonly auth: ApiAuth;
}

export interface Http {
  readonly server: HttpServer;
  /** Made for this process because API_USERS is not set (printed once at start). */
  readonly generated: { readonly user: string; readonly password: string } | undefined;
  close(): Promise<void>;
}

/** How long an operator's command waits for the broker's confirmation before the API says it has not come. */
const COMMAND_CONFIRM_MS = 5000;


/**
 * The HTTP surface of `run`: the API, dashboard, stream and /metrics over this instance's pipeline, its
 * database and its bus. The dashboard's recent events come from the pipeline's activity role (every
 * instance sees every namespace's events), so it works on an instance that does not run the chain too.
 */
export async function startHttp(o: HttpOptions): Promise<Http> {
  const { config, system, catalogue, persistence, log } = o;
  const settings = config.http;
  const { tokens, login } = o.auth;
  const namespaces = namespacesFor(true, { paperEnabled: config.trading.paperEnabled, liveEnabled: config.trading.liveEnabled });
  /** The pipeline, once it runs. */
  const running = (): Pipeline | undefined => (o.progress.phase === 'running' ? o.pipeline() : undefined);
  const whileStarting = () => (running() ? undefined : new ApiProblem('unavailable', `alpha-panda is starting (${o.progress.phase}${o.progress.groups ? `, ${o.progress.assigned} of ${o.progress.groups} consumer groups joined` : ''}): try again shortly`, { headers: { 'retry-after': '2' } }));

  const risk = (): RiskStateView[] | undefined => {
    const pipeline = running();
    if (!pipeline?.chain) return undefined;
    const recent = pipeline.recent;
    return [...pipeline.engines].map(([ns, e]) => {
      const cause = e.dayState.stateCause;
      const last = recent.states.get(ns) ?? (cause ? { state: e.state, cause, timestamp: null } : null);
      return { namespace: ns, state: e.state, trading_day: e.tradingDay || null, loss_today: toRupees(e.lossToday()), daily_loss_limit: config.risk.dailyLossLimit, on_daily_loss: config.risk.onDailyLoss, orders_per_day: config.risk.ordersPerDay, last_change: last, last_command: recent.commands.get(ns) ?? null };
    });
  };
  const activity = (): Activity => {
    const at = new Date(system.clock.now()).toISOString();
    const pipeline = running();
    if (!pipeline) return { at, phase: o.progress.phase, ticks: 0, totals: [], strategies: [], positions: [], rejections: {}, recent: [], risk: [], trace_ui: settings.traceUiUrl };
    const d = summaryData(pipeline, catalogue);
    const recent = pipeline.recent;
    return {
      at,
      phase: pipeline.progress.phase,
      ticks: d.ticks,
      totals: d.totals.map((t) => ({ ...t })),
      strategies: d.strategies.map(({ positions: _, ticks: __, ...s }) => ({ ...s, instruments: [...s.instruments] })),
      positions: d.strategies.flatMap((s) => s.positions.map((p) => ({ namespace: s.namespace, strategy: s.strategy, instrument: p.instrument, token: p.token, quantity: p.quantity }))),
      // Counted by the chain where it runs here (as the totals are), else from the activity feed since start.
      rejections: Object.fromEntries([...(pipeline.chain ? pipeline.stats.rejectionsBy : recent.rejections)].map(([ns, m]) => [ns, Object.fromEntries(m)])),
      recent: recent.list(),
      risk: risk() ?? [],
      trace_ui: settings.traceUiUrl,
    };
  };
  // The ledger has each verdict, order, fill and failure; the in-process log (embedded mode) also has the
  // signal itself, so its hop is timed. A Kafka log is not scanned per request: `alpha-panda trace` does that.
  const chainOf = async (id: string) => {
    const events = [...(persistence ? await chainEventsInLedger(persistence.db, id) : []), ...(system.transport.durable ? [] : (await chainEventsOnBus(system.transport, id, { timeoutMs: 2000, namespaces })).events)];
    return chainView(id, events);
  };
  let lastCommandAt = 0;
  const readiness: ApiContext['readiness'] = async () => {
    const checks: Array<{ what: string; ok: boolean; detail: string }> = [];
    const h = system.transport.health;
    checks.push({ what: 'pipeline', ok: o.progress.phase === 'running', detail: o.progress.phase === 'running' ? 'running' : `${o.progress.phase}${o.progress.groups ? ` (${o.progress.assigned} of ${o.progress.groups} consumer groups joined)` : ''}` });
    checks.push(config.bus === 'memory' ? { what: 'bus', ok: true, detail: 'in-process' } : h.downSince === undefined ? { what: 'broker', ok: true, detail: config.kafka.brokers.join(',') } : { what: 'broker', ok: false, detail: `unreachable for ${Math.round(h.downFor() / 1000)} s: ${h.lastError ?? ''}` });
    if (persistence) {
      try {
        await orTimeout(persistence.db.em().execute('select 1'), 3000, 'database');
        checks.push({ what: 'database', ok: true, detail: persistence.db.where });
      } catch (e) {
        checks.push({ what: 'database', ok: false, detail: (e as Error).message });
      }
    } else checks.push({ what: 'database', ok: true, detail: 'switched off' });
    if (o.session) {
      const s = o.session.current;
      checks.push(s.kind === 'active' ? { what: 'kite session', ok: true, detail: `user ${s.session.userId}` } : { what: 'kite session', ok: false, detail: s.why });
    }
    return { ready: checks.every((c) => c.ok), checks };
  };
  const ctx: ApiContext = {
    version: VERSION,
    instance: o.instanceId,
    startedAt: Date.now(),
    settings,
    tokens,
    login,
    log: log.child({ component: 'api' }),
    administer: persistence ? (r) => administer(persistence.strategies, r) : undefined,
    ledger: persistence ? (q) => queryLedger(persistence.db, q) : undefined,
    chain: async (id) => {
      const found = await chainOf(id);
      if (!found) return undefined;
      const tags = encodeURIComponent(JSON.stringify({ [CORRELATION_ID]: found.namespaces[0]!.correlationId }));
      return { ...found, traceUrl: settings.traceUiUrl ? `${settings.traceUiUrl.replace(/\/+$/, '')}/search?service=${encodeURIComponent(config.telemetry.serviceName)}&tags=${tags}` : null };
    },
    whileStarting,
    activity,
    risk,
    namespaces,
    symbolOf: (t) => catalogue.get(t)?.symbol,
    command: async (ns: BrokerNamespace, command, operator, reason) => {
      const topic = topicsFor(ns).riskCommands;
      // Risk carries out a command only if it is later than the last one (a command read again is not):
      // this process's commands are strictly later than one another, even within a millisecond.
      const now = (lastCommandAt = Math.max(system.clock.now(), lastCommandAt + 1));
      const event = createEvent({ type: 'risk_command', broker: ns, source: `api/${o.instanceId}`, key: ns, data: { command, operator, ...(reason ? { reason } : {}), timestamp: new Date(now).toISOString() }, now });
      // Answered within COMMAND_CONFIRM_MS: with the broker down the command stays queued in the producer
      // (it goes out, in order, when the broker answers), and the operator is told so at once.
      const confirmed = await orTimeout(publishConfirmed(system.producer, [new EventRecord(topic, event, {})]).then(() => true), COMMAND_CONFIRM_MS, 'the broker').catch(() => false);
      if (!confirmed) throw new ApiProblem('unavailable', `the broker has not confirmed the ${command} within ${COMMAND_CONFIRM_MS / 1000} s (${system.transport.health.lastError ?? 'no answer'}): it is queued as ${event.id} and goes to the risk checker when the broker answers`, { headers: { 'retry-after': '5' } });
      return { id: event.id, topic };
    },
    readiness,
    metrics: o.metrics,
  };
  const closing = new AbortController();
  const { app } = apiApp(ctx, closing.signal);
  const server = await listen(app, settings.host, settings.port ?? 0);
  return {
    server,
    generated: o.auth.generated,
    // The feed's consumer stops with the actor system, like every other consumer.
    close: () => {
      closing.abort();
      return server.close();
    },
  };
}
