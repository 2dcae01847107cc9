import type { ConsumerActor, Route } from '../../actors/consumer.ts';
import { executionActor } from '../../actors/execution.ts';
import { portfolioActor, type PortfolioMessage } from '../../actors/portfolio.ts';
import { priceCache, type PriceCacheMessage } from '../../actors/price-cache.ts';
import { riskChecker } from '../../actors/risk-checker.ts';
import { StrategyBehaviour } from '../../actors/strategy.ts';
import { tradingStateActor } from '../../actors/trading-state.ts';
import type { Supervisor } from '../../supervisors/supervisor.ts';
import type { Config } from '../config/schema.ts';
import type { AnyEnvelope } from '../contracts/envelope.ts';
import { allTopics, consumerGroup, ROLES, topicsOfRole, type BrokerNamespace, type NamespacedRole, type Role, type SharedRole } from '../contracts/topics.ts';
import { ConfigError, StartAborted, TransportError } from '../errors.ts';
import type { ExecutionClient } from '../execution/client.ts';
import { feeModel } from '../execution/fees.ts';
import { PaperClient } from '../execution/paper-client.ts';
import { namespacesFor } from '../execution/routing.ts';
import type { InstrumentCatalogue } from '../market/instruments.ts';
import { PriceBook } from '../market/price-book.ts';
import { toPaise } from '../money.ts';
import { PortfolioBook } from '../portfolio/book.ts';
import { RiskEngine } from '../risk/engine.ts';
import { TradingStates } from '../risk/trading-states.ts';
import type { ActorRef } from '../runtime/actor-ref.ts';
import type { StrategyInstance } from '../strategies/config.ts';
import { StrategyLedger } from '../strategies/ledger.ts';
import { PipelineStats } from '../telemetry/stats.ts';
import type { ActorSystem } from './actor-system.ts';

export interface PipelineOptions {
  readonly system: ActorSystem;
  readonly config: Config;
  readonly catalogue: InstrumentCatalogue;
  readonly strategies: readonly StrategyInstance[];
  /**
   * Live execution clients by namespace. The pipeline asks for one only when live trading is switched on
   * globally; with it off, none is looked at, no live consumer exists, and no strategy routes to one.
   */
  readonly liveClients?: Partial<Record<BrokerNamespace, ExecutionClient>>;
  /** How long to wait for every consumer group to be assigned its partitions before giving up. */
  readonly assignmentTimeoutMs?: number;
  /** Read market.ticks from the start of the log (replays into a fresh topic) instead of from now. */
  readonly ticksFromBeginning?: boolean;
  /** Ends the start early (Ctrl-C while groups are joining). */
  readonly signal?: AbortSignal;
  /** Updated while starting, for the status line. */
  readonly progress?: StartupProgress;
}

type Ref = ActorRef<AnyEnvelope>;

/** Where start-up is, for the status line. */
export interface StartupProgress {
  phase: 'starting' | 'joining' | 'running';
  assigned: number;
  groups: number;
}

/**
 * The trading pipeline on an actor system: price caches and strategies under their supervisors, and per
 * broker namespace a risk checker, an execution actor and a portfolio, each fed by the consumer group
 * of its role in the topology (src/contracts/topics.ts). Strategies can be added and removed while it
 * runs.
 */
export class Pipeline {
  readonly prices = new PriceBook();
  readonly states = new TradingStates();
  readonly stats = new PipelineStats();
  readonly namespaces: readonly BrokerNamespace[];
  readonly portfolios = new Map<BrokerNamespace, PortfolioBook>();
  readonly engines = new Map<BrokerNamespace, RiskEngine>();
  readonly consumers: ConsumerActor[] = [];
  readonly progress: StartupProgress;
  private tickConsumer: ConsumerActor | undefined;
  private readonly options: PipelineOptions;
  private readonly market: Supervisor;
  private readonly strategySupervisor: Supervisor;
  private readonly caches = new Map<number, Ref>();
  private readonly strategies = new Map<string, { instance: StrategyInstance; ref: Ref }>();
  /** What each strategy holds; kept when its actor restarts or is removed and added again. */
  readonly ledgers = new Map<string, StrategyLedger>();
  private readonly byInstrument = new Map<number, Ref[]>();
  private readonly targets = new Map<number, readonly Ref[]>();
  private readonly portfolioRefs: ActorRef<PortfolioMessage>[] = [];
  private snapshotTimer: { cancel(): void } | undefined;
  private stopped = false;

  private constructor(options: PipelineOptions) {
    this.options = options;
    this.progress = options.progress ?? { phase: 'starting', assigned: 0, groups: 0 };
    const { config } = options;
    this.namespaces = namespacesFor(true, { paperEnabled: config.trading.paperEnabled, liveEnabled: config.trading.liveEnabled });
    if (this.namespaces.length === 0) throw new ConfigError(['trading: paper and live trading are both off: nothing would trade']);
    for (const ns of this.namespaces) {
      if (ns !== 'paper' && !options.liveClients?.[ns]) {
        throw new ConfigError([`trading.liveEnabled is true but this build has no ${ns} execution client: switch it off (ALPHA_PANDA_TRADING__LIVE_ENABLED=false)`]);
      }
    }
    const policy = config.supervision;
    this.market = options.system.root.spawnSupervisor({ name: 'market', policy });
    this.strategySupervisor = options.system.root.spawnSupervisor({ name: 'strategies', policy });
  }

  static async start(options: PipelineOptions): Promise<Pipeline> {
    const p = new Pipeline(options);
    await options.system.transport.ensureTopics(allTopics(p.namespaces));
    const routes = p.startActors();
    for (const s of options.strategies) p.addStrategy(s);
    p.startConsumers(routes);
    p.progress.phase = 'joining';
    await p.assigned(options.assignmentTimeoutMs ?? 60_000, options.signal);
    p.progress.phase = 'running';
    p.scheduleSnapshots();
    return p;
  }

  /** Every actor a consumer feeds, and the route of each role to them. */
  private startActors(): { shared: Record<SharedRole, Route>; byNamespace: Map<BrokerNamespace, Record<NamespacedRole, Route>> } {
    const { system, config, catalogue } = this.options;
    const fees = feeModel(config.fees);
    const byNamespace = new Map<BrokerNamespace, Record<NamespacedRole, Route>>();
    for (const ns of this.namespaces) {
      const sup = system.root.spawnSupervisor({ name: ns, policy: config.supervision });
      const capital = toPaise(config.trading.initialCapital);
      const engine = new RiskEngine(config.risk, { instrument: (t) => catalogue.get(t), capital, squareOffAt: config.trading.squareOffAt });
      this.engines.set(ns, engine);
      const book = new PortfolioBook(capital);
      this.portfolios.set(ns, book);
      const client = ns === 'paper' ? new PaperClient(config.paper, fees, catalogue, this.prices) : this.options.liveClients![ns]!;
      if (client.namespace !== ns) throw new ConfigError([`the ${ns} execution client says it is for ${client.namespace}`]);
      const risk: Ref = sup.spawn({ name: 'risk', behaviour: riskChecker(ns, engine, this.prices, this.stats) });
      const execution: Ref = sup.spawn({ name: 'execution', behaviour: executionActor(client, this.stats) });
      const portfolio = sup.spawn<PortfolioBook, PortfolioMessage>({ name: 'portfolio', behaviour: portfolioActor(ns, book, this.prices) });
      this.portfolioRefs.push(portfolio);
      byNamespace.set(ns, { risk: () => risk, 'risk-book': () => risk, execution: () => execution, portfolio: () => portfolio as Ref });
    }
    const states: Ref = this.market.spawn({ name: 'trading-state', behaviour: tradingStateActor(this.states) });
    const shared: Record<SharedRole, Route> = {
      'strategy-runner': (e) => (e.type === 'market_tick' ? this.tickTargets(e.data.instrument_token) : undefined),
      // Strategies hear how their paper signals ended (the shadow every strategy has): filled, rejected, failed.
      'strategy-outcomes': (e) => {
        const owner = e.type === 'order_filled' || e.type === 'order_failed' ? e.data.strategy_id : e.type === 'rejected_signal' ? e.data.original_signal.strategy_id : undefined;
        return owner === undefined ? undefined : this.strategies.get(owner)?.ref;
      },
      'trading-state': () => states,
    };
    return { shared, byNamespace };
  }

  /** One consumer actor per role (per namespace for namespaced roles), from the topology table. */
  private startConsumers(routes: ReturnType<Pipeline['startActors']>): void {
    const { system, config } = this.options;
    const prefix = config.kafka.groupPrefix;
    for (const role of Object.keys(ROLES) as Role[]) {
      const spec = ROLES[role];
      const fromBeginning = role === 'strategy-runner' ? (this.options.ticksFromBeginning ?? false) : spec.startAt === 'earliest';
      if (spec.scope === 'shared') {
        const r = role as SharedRole;
        const topics = topicsOfRole(r, this.namespaces);
        if (topics.length === 0) continue;
        const supervisor = r === 'strategy-runner' || r === 'trading-state' ? this.market : this.strategySupervisor;
        const c = system.consumer({ name: `${r}-in`, groupId: consumerGroup(prefix, r), topics, route: routes.shared[r], fromBeginning, ...config.consumer }, supervisor);
        if (r === 'strategy-runner') this.tickConsumer = c;
        this.consumers.push(c);
        continue;
      }
      for (const ns of this.namespaces) {
        const r = role as NamespacedRole;
        const c = system.consumer({ name: `${ns}-${r}-in`, groupId: consumerGroup(prefix, r, ns), topics: topicsOfRole(r, this.namespaces, ns), route: routes.byNamespace.get(ns)![r], fromBeginning, ...config.consumer });
        this.consumers.push(c);
      }
    }
    this.progress.groups = this.consumers.length;
  }

  /** A tick goes to its instrument's price cache and to every strategy that trades the instrument. */
  private tickTargets(token: number): readonly Ref[] {
    let t = this.targets.get(token);
    if (!t) {
      this.targets.set(token, (t = [this.cache(token), ...(this.byInstrument.get(token) ?? [])]));
    }
    return t;
  }

  private cache(token: number): Ref {
    let c = this.caches.get(token);
    if (!c) {
      c = this.market.spawn<unknown, PriceCacheMessage>({ name: `price-${token}`, behaviour: priceCache(this.prices) }) as unknown as Ref;
      this.caches.set(token, c);
    }
    return c;
  }

  /** Spawns a strategy actor at run time; its instruments' ticks reach it from the next batch on. */
  addStrategy(instance: StrategyInstance): void {
    if (this.strategies.has(instance.id)) throw new ConfigError([`strategy '${instance.id}' is already running`]);
    const { config } = this.options;
    const namespaces = namespacesFor(instance.live, { paperEnabled: config.trading.paperEnabled, liveEnabled: config.trading.liveEnabled }).filter((ns) => this.namespaces.includes(ns));
    const ledger = this.ledgers.get(instance.id) ?? new StrategyLedger();
    this.ledgers.set(instance.id, ledger);
    for (const ns of this.namespaces) this.portfolios.get(ns)!.open(instance.id);
    const behaviour = new StrategyBehaviour(instance, { prices: this.prices, stats: this.stats, namespaces, ledger, states: this.states, squareOffAt: config.trading.squareOffAt });
    const ref: Ref = this.strategySupervisor.spawn({ name: instance.id, behaviour });
    this.strategies.set(instance.id, { instance, ref });
    for (const token of instance.instruments) {
      let list = this.byInstrument.get(token);
      if (!list) this.byInstrument.set(token, (list = []));
      list.push(ref);
      this.targets.delete(token);
    }
  }

  /** Stops a strategy actor; ticks already in its mailbox are dead-lettered, not lost. */
  removeStrategy(id: string): void {
    const s = this.strategies.get(id);
    if (!s) throw new ConfigError([`strategy '${id}' is not running`]);
    this.strategies.delete(id);
    for (const token of s.instance.instruments) {
      const list = this.byInstrument.get(token) ?? [];
      list.splice(list.indexOf(s.ref), 1);
      this.targets.delete(token);
    }
    this.strategySupervisor.remove(s.ref as unknown as Parameters<Supervisor['remove']>[0], new Error(`strategy ${id} removed`));
  }

  /** Ready means every consumer group has joined: a tick published now will be seen. */
  private async assigned(timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const waiting = this.consumers.filter((c) => c.assignment.length === 0);
      this.progress.assigned = this.consumers.length - waiting.length;
      if (waiting.length === 0) return;
      if (signal?.aborted) throw new StartAborted('while consumer groups were joining');
      if (Date.now() > deadline) throw new TransportError(`consumer groups not assigned partitions within ${timeoutMs} ms: ${waiting.map((c) => c.name).join(', ')}`, { retriable: true });
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Ticks this process has taken from market.ticks. */
  get ticks(): number {
    return this.tickConsumer?.stats.received ?? 0;
  }

  /** Changes whenever anything moves: consumers taking records, outputs confirmed, signals, fills. */
  get activity(): string {
    const s = this.stats;
    return `${this.consumers.map((c) => c.stats.received).join(',')}|${this.options.system.producer.backlog}|${s.signals}|${s.validated}|${s.rejected}|${s.fills}|${s.failed}`;
  }

  /** Resolves once nothing has moved for `quietMs` with nothing in flight (or after `timeoutMs`). */
  async quiet(quietMs: number, timeoutMs = 30_000, signal?: AbortSignal): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    let since = Date.now();
    while (Date.now() < deadline && !signal?.aborted) {
      const now = this.activity;
      if (now !== last || !this.idle) [last, since] = [now, Date.now()];
      else if (Date.now() - since >= quietMs) return true;
      await new Promise((r) => setTimeout(r, 10));
    }
    return false;
  }

  get strategyIds(): string[] {
    return [...this.strategies.keys()];
  }

  strategyInstances(): StrategyInstance[] {
    return [...this.strategies.values()].map((s) => s.instance);
  }

  /** Ask every portfolio for a snapshot now (also done every snapshotIntervalMs). */
  snapshot(): void {
    for (const p of this.portfolioRefs) p.tell({ kind: 'snapshot' });
  }

  private scheduleSnapshots(): void {
    const { clock } = this.options.system;
    const every = this.options.config.portfolio.snapshotIntervalMs;
    this.snapshotTimer = clock.schedule(every, () => {
      if (this.stopped) return;
      this.snapshot();
      this.scheduleSnapshots();
    });
  }

  /**
   * Resolves once everything published so far has been handled, outcomes included: every group caught
   * up (in process), nothing in flight, every output confirmed. How a fast simulation lets each step of
   * simulated time finish before the next, so strategies hear their fills as promptly as in real time.
   */
  async settled(signal?: AbortSignal): Promise<void> {
    const transport = this.options.system.transport;
    if (!transport.caughtUp) {
      await this.quiet(Math.max(50, 2 * this.options.config.kafka.maxWaitTimeMs), 60_000, signal);
      return;
    }
    for (let turns = 0; !signal?.aborted; turns++) {
      if (this.idle && transport.caughtUp!()) return;
      await new Promise((r) => (turns < 1000 ? setImmediate(r) : setTimeout(r, 1)));
    }
  }

  /** Nothing in flight: every consumer's deliveries finished and every output confirmed. */
  get idle(): boolean {
    return this.consumers.every((c) => c.behaviour.inFlight === 0) && this.options.system.producer.backlog === 0;
  }

  stop(): void {
    this.stopped = true;
    this.snapshotTimer?.cancel();
  }
}
