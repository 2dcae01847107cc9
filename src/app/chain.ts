import type { ConsumerActor, Route } from '../../actors/consumer.ts';
import { executionActor } from '../../actors/execution.ts';
import { portfolioActor, type PortfolioMessage } from '../../actors/portfolio.ts';
import { riskChecker } from '../../actors/risk-checker.ts';
import type { Config } from '../config/schema.ts';
import { createEvent, type AnyEnvelope, type Envelope } from '../contracts/envelope.ts';
import { EventRecord } from '../contracts/event-record.ts';
import { consumerGroup, ROLES, topicsFor, topicsOfRole, type BrokerNamespace, type ChainRole } from '../contracts/topics.ts';
import type { ChainHistory, ChainStore } from '../db/chain-store.ts';
import { ConfigError } from '../errors.ts';
import type { ExecutionClient } from '../execution/client.ts';
import { feeModel } from '../execution/fees.ts';
import { PaperClient } from '../execution/paper-client.ts';
import { derivedId } from '../ids.ts';
import type { InstrumentCatalogue } from '../market/instruments.ts';
import type { PriceBook } from '../market/price-book.ts';
import { toPaise } from '../money.ts';
import { Once } from '../once.ts';
import { PortfolioBook } from '../portfolio/book.ts';
import { RiskEngine } from '../risk/engine.ts';
import type { ActorRef } from '../runtime/actor-ref.ts';
import { publishConfirmed } from '../runtime/outbox.ts';
import type { StrategyLedger } from '../strategies/ledger.ts';
import { SignalToFill } from '../telemetry/signal-to-fill.ts';
import type { PipelineStats } from '../telemetry/stats.ts';
import type { ActorSystem } from './actor-system.ts';
import type { VenueContext } from './zerodha-venue.ts';

export interface ChainOptions {
  readonly system: ActorSystem;
  readonly config: Config;
  readonly catalogue: InstrumentCatalogue;
  readonly prices: PriceBook;
  readonly stats: PipelineStats;
  readonly namespaces: readonly BrokerNamespace[];
  /** The live broker of each live namespace (Zerodha): its client places, its tracker follows the fills. */
  readonly liveVenues?: Partial<Record<BrokerNamespace, LiveVenue>>;
  readonly store: ChainStore;
  /** Each strategy's ledger: rebuilt from the database when the log did not survive the restart. */
  readonly ledgerOf: (strategyId: string) => StrategyLedger;
}

type Ref = ActorRef<AnyEnvelope>;

/** A broker that fills later: what the chain needs of it (src/app/zerodha-venue.ts). */
export interface LiveVenue {
  readonly client: ExecutionClient;
  start(ctx: VenueContext): Promise<{ onPlaced(e: Envelope<'order_placed'>): void }>;
  stop(): void;
}

/** What a namespace's history says each signal's execution made, and which validations it never reached. */
function executions(h: ChainHistory): { results: Map<string, Envelope[]>; unexecuted: Envelope[] } {
  const results = new Map<string, Envelope[]>();
  const add = (signalId: string | null, e: Envelope) => {
    if (!signalId) return;
    const list = results.get(signalId);
    if (list) list.push(e);
    else results.set(signalId, [e]);
  };
  for (const r of [...h.placed, ...h.dayFills, ...h.failed]) add(r.signalId, r.event);
  const unexecuted = h.validated.filter((v) => v.signalId !== null && !results.has(v.signalId)).map((v) => v.event);
  return { results, unexecuted };
}

/**
 * The account-wide chain of every namespace: risk checker, execution and portfolio, each fed by its
 * consumer group. One instance of a deployment runs it (the holder of the chain lease): account limits
 * and Kite's order rate are per account, so they must have one writer. It starts from what the ledger
 * holds (positions, P&L, the day's verdicts and executions, the day's state), so what the log delivers
 * again is recognised: no verdict is made twice and no validated signal executed twice.
 */
export class Chain {
  readonly portfolios = new Map<BrokerNamespace, PortfolioBook>();
  readonly engines = new Map<BrokerNamespace, RiskEngine>();
  readonly consumers: ConsumerActor[] = [];
  private readonly portfolioRefs: ActorRef<PortfolioMessage>[] = [];
  private readonly options: ChainOptions;
  /** Published once the chain's consumers are assigned: what a log that did not survive no longer holds. */
  private readonly redrive: Envelope[] = [];

  private constructor(options: ChainOptions) {
    this.options = options;
  }

  static async start(options: ChainOptions): Promise<Chain> {
    const c = new Chain(options);
    const routes = new Map<BrokerNamespace, Record<ChainRole, Route>>();
    for (const ns of options.namespaces) routes.set(ns, await c.startNamespace(ns));
    c.startConsumers(routes);
    return c;
  }

  private async startNamespace(ns: BrokerNamespace): Promise<Record<ChainRole, Route>> {
    const { system, config, catalogue, store, prices, stats } = this.options;
    const capital = toPaise(config.trading.initialCapital);
    const engine = new RiskEngine(config.risk, { instrument: (t) => catalogue.get(t), capital, squareOffAt: config.trading.squareOffAt });
    const book = new PortfolioBook(capital);
    const history = await store.load(ns);
    engine.restore(history);
    book.restore(history.fills);
    this.engines.set(ns, engine);
    this.portfolios.set(ns, book);
    const verdicts = new Map<string, readonly Envelope[]>();
    for (const v of [...history.validated, ...history.rejected]) verdicts.set(v.correlationId, [v.event]);
    const { results, unexecuted } = executions(history);
    const executed = new Once();
    for (const signalId of results.keys()) executed.first(signalId);
    if (!system.transport.durable) this.recoverWithoutLog(ns, history, unexecuted, engine);
    const venue = ns === 'paper' ? undefined : this.options.liveVenues?.[ns];
    const client = ns === 'paper' ? new PaperClient(config.paper, feeModel(config.fees), catalogue, prices) : venue?.client;
    if (!client) throw new ConfigError([`trading.liveEnabled is true but no ${ns} venue was set up: switch it off (ALPHA_PANDA_TRADING__LIVE_ENABLED=false)`]);
    if (client.namespace !== ns) throw new ConfigError([`the ${ns} execution client says it is for ${client.namespace}`]);
    const sup = system.root.spawnSupervisor({ name: ns, policy: config.supervision });
    // When each signal reached the chain, for its fills' latency: noted as the risk consumer hands it over.
    const latency = new SignalToFill(ns, system.probes);
    const hooks = venue ? await venue.start({ supervisor: sup, store, stats, history, producer: system.producer, latency }) : undefined;
    const risk: Ref = sup.spawn({ name: 'risk', behaviour: riskChecker(ns, engine, { prices, stats, store, verdicts }) });
    const execution: Ref = sup.spawn({ name: 'execution', behaviour: executionActor(client, { stats, store, executed, results, latency, ...(hooks ? { onPlaced: hooks.onPlaced } : {}) }) });
    const portfolio = sup.spawn<PortfolioBook, PortfolioMessage>({ name: 'portfolio', behaviour: portfolioActor(ns, book, prices, store) });
    this.portfolioRefs.push(portfolio);
    if (store.durable) system.log.info({ namespace: ns, fills: history.fills.length, verdictsToday: verdicts.size, executedToday: results.size, tradingDay: engine.tradingDay || null, state: engine.state }, 'chain restored from the ledger');
    const judge = (e: AnyEnvelope) => {
      if (e.type === 'trading_signal') latency.signal(e.id, e.ts);
      return risk;
    };
    return { risk: judge, 'risk-book': () => risk, execution: () => execution, portfolio: () => portfolio as Ref };
  }

  /**
   * The in-process log did not survive the restart (embedded mode): what it held is taken from the
   * ledger instead. Validations never executed go out again, the strategies' ledgers get their fills
   * and what is in flight, and a restricted trading state is announced again.
   */
  private recoverWithoutLog(ns: BrokerNamespace, h: ChainHistory, unexecuted: Envelope[], engine: RiskEngine): void {
    const { ledgerOf, namespaces } = this.options;
    this.redrive.push(...unexecuted);
    if (ns === namespaces[0]) {
      for (const f of h.fills) ledgerOf(f.strategyId).filled(f.correlationId, f.token, f.quantity, `${f.orderId}|${f.fillId}`);
      for (const e of unexecuted) {
        const v = e as Envelope<'validated_signal'>;
        const s = v.data.original_signal;
        ledgerOf(s.strategy_id).sent(v.correlation_id, s.instrument_token, s.signal_type === 'BUY' ? v.data.validated_quantity : -v.data.validated_quantity);
      }
    }
    if (engine.state !== 'ACTIVE') {
      const { tradingDay, state, stateCause } = engine.dayState;
      const data = { state, previous: 'ACTIVE' as const, cause: stateCause ?? ('DAILY_LOSS' as const), flatten: false, trading_day: tradingDay, loss: 0, limit: this.options.config.risk.dailyLossLimit, timestamp: new Date(this.options.system.clock.now()).toISOString() };
      this.redrive.push(createEvent({ type: 'trading_state', broker: ns, source: `risk/${ns}`, key: ns, data, now: this.options.system.clock.now(), id: derivedId(ns, tradingDay, state, 'restored') }));
    }
  }

  private startConsumers(routes: Map<BrokerNamespace, Record<ChainRole, Route>>): void {
    const { system, config, namespaces } = this.options;
    for (const role of Object.keys(ROLES) as (keyof typeof ROLES)[]) {
      const spec = ROLES[role];
      if (spec.scope !== 'chain') continue;
      const r = role as ChainRole;
      for (const ns of namespaces) {
        const c = system.consumer({ name: `${ns}-${r}-in`, groupId: consumerGroup(config.kafka.groupPrefix, r, { ns }), topics: topicsOfRole(r, namespaces, ns), route: routes.get(ns)![r], fromBeginning: spec.startAt === 'earliest', commits: spec.commits, ...config.consumer });
        this.consumers.push(c);
      }
    }
  }

  /** Once the chain's groups are assigned: what the embedded log lost goes out again. */
  async resume(): Promise<void> {
    if (this.redrive.length === 0) return;
    const records = this.redrive.splice(0).map((e) => new EventRecord(e.type === 'trading_state' ? topicsFor(e.broker as BrokerNamespace).riskState : topicsFor(e.broker as BrokerNamespace).signalsValidated, e, {}));
    this.options.system.log.info({ validations: records.filter((r) => r.event.type === 'validated_signal').length }, 'validated signals the lost log held go to execution again');
    await publishConfirmed(this.options.system.producer, records);
  }

  snapshot(): void {
    for (const p of this.portfolioRefs) p.tell({ kind: 'snapshot' });
  }
}
