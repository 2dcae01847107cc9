import { executionActor } from '../../actors/execution.ts';
import { portfolioActor, type PortfolioMessage } from '../../actors/portfolio.ts';
import { priceCache, type PriceCacheMessage } from '../../actors/price-cache.ts';
import { riskChecker } from '../../actors/risk-checker.ts';
import { StrategyBehaviour } from '../../actors/strategy.ts';
import type { ConsumerActor, ConsumerOptions } from '../../actors/consumer.ts';
import type { Supervisor } from '../../supervisors/supervisor.ts';
import type { Config } from '../config/schema.ts';
import type { AnyEnvelope } from '../contracts/envelope.ts';
import { allTopics, consumerGroup, MARKET_TICKS, topicsFor, type BrokerNamespace, type NamespacedRole } from '../contracts/topics.ts';
import { ConfigError, TransportError } from '../errors.ts';
import type { ExecutionClient } from '../execution/client.ts';
import { feeModel } from '../execution/fees.ts';
import { PaperClient } from '../execution/paper-client.ts';
import { namespacesFor } from '../execution/routing.ts';
import type { InstrumentCatalogue } from '../market/instruments.ts';
import { PriceBook } from '../market/price-book.ts';
import { toPaise } from '../money.ts';
import { PortfolioBook } from '../portfolio/book.ts';
import { RiskEngine } from '../risk/engine.ts';
import type { ActorRef } from '../runtime/actor-ref.ts';
import type { ActorSystem } from '../runtime/actor-system.ts';
import type { StrategyInstance } from '../strategies/config.ts';
import { StrategyLedger } from '../strategies/ledger.ts';
import { PipelineStats } from './stats.ts';

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
}

type Ref = ActorRef<AnyEnvelope>;

/**
 * The trading pipeline on an actor system: price caches and strategies under their supervisors, and per
 * broker namespace a risk checker, an execution actor and a portfolio, each fed by its own consumer
 * group. Strategies can be added and removed while it runs.
 */
export class Pipeline {
  readonly prices = new PriceBook();
  readonly stats = new PipelineStats();
  readonly namespaces: readonly BrokerNamespace[];
  readonly portfolios = new Map<BrokerNamespace, PortfolioBook>();
  readonly consumers: ConsumerActor[] = [];
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
    await p.startNamespaces();
    for (const s of options.strategies) p.addStrategy(s);
    await p.startTickConsumer();
    await p.assigned(options.assignmentTimeoutMs ?? 30_000);
    return p;
  }

  private group(role: NamespacedRole, ns: BrokerNamespace): string {
    return consumerGroup(this.options.config.kafka.groupPrefix, role, ns);
  }

  private consumerOptions(name: string, groupId: string, topics: string[], route: ConsumerOptions['route'], fromBeginning: boolean): ConsumerOptions {
    return { name, groupId, topics, route, fromBeginning, ...this.options.config.consumer };
  }

  private async startNamespaces(): Promise<void> {
    const { system, config, catalogue } = this.options;
    await system.transport.ensureTopics(allTopics(this.namespaces));
    for (const ns of this.namespaces) {
      const topics = topicsFor(ns);
      const sup = system.root.spawnSupervisor({ name: ns, policy: config.supervision });
      const engine = new RiskEngine(config.risk);
      const book = new PortfolioBook(toPaise(config.trading.initialCapital));
      this.portfolios.set(ns, book);
      const client = ns === 'paper' ? new PaperClient(config.paper, feeModel(config.fees), catalogue, this.prices) : this.options.liveClients![ns]!;
      if (client.namespace !== ns) throw new ConfigError([`the ${ns} execution client says it is for ${client.namespace}`]);
      const risk: Ref = sup.spawn({ name: 'risk', behaviour: riskChecker(ns, engine, this.prices, this.stats) });
      const execution: Ref = sup.spawn({ name: 'execution', behaviour: executionActor(client, this.stats) });
      const portfolio = sup.spawn<PortfolioBook, PortfolioMessage>({ name: 'portfolio', behaviour: portfolioActor(ns, book, this.prices) });
      this.portfolioRefs.push(portfolio);
      // Topics that cause orders are read from the end by a new group: a first deployment (or a new group
      // prefix) must not validate or execute the signals already on the log again. Fills and failures are
      // read from the beginning: they rebuild positions, and applying them places nothing.
      this.consumers.push(await system.consumer(this.consumerOptions(`${ns}-risk-in`, this.group('risk', ns), [topics.signalsRaw], () => risk, false), sup));
      this.consumers.push(await system.consumer(this.consumerOptions(`${ns}-risk-book-in`, this.group('risk-book', ns), [topics.ordersFilled, topics.ordersFailed], () => risk, true), sup));
      this.consumers.push(await system.consumer(this.consumerOptions(`${ns}-execution-in`, this.group('execution', ns), [topics.signalsValidated], () => execution, false), sup));
      this.consumers.push(await system.consumer(this.consumerOptions(`${ns}-portfolio-in`, this.group('portfolio', ns), [topics.ordersFilled], () => portfolio as Ref, true), sup));
    }
    // Strategies hear how their paper signals ended (the shadow every strategy has): filled, rejected, failed.
    if (this.namespaces.includes('paper')) {
      const group = consumerGroup(config.kafka.groupPrefix, 'strategy-fills');
      const paper = topicsFor('paper');
      const route = (e: AnyEnvelope) => {
        const owner = e.type === 'order_filled' || e.type === 'order_failed' ? e.data.strategy_id : e.type === 'rejected_signal' ? e.data.original_signal.strategy_id : undefined;
        return owner === undefined ? undefined : this.strategies.get(owner)?.ref;
      };
      this.consumers.push(await system.consumer(this.consumerOptions('strategy-fills-in', group, [paper.ordersFilled, paper.signalsRejected, paper.ordersFailed], route, true), this.strategySupervisor));
    }
    this.scheduleSnapshots();
  }

  private async startTickConsumer(): Promise<void> {
    const { system, config } = this.options;
    const route = (e: AnyEnvelope) => (e.type === 'market_tick' ? this.tickTargets(e.data.instrument_token) : undefined);
    const group = consumerGroup(config.kafka.groupPrefix, 'strategy-runner');
    this.tickConsumer = await system.consumer(this.consumerOptions('ticks-in', group, [MARKET_TICKS], route, this.options.ticksFromBeginning ?? false), this.market);
    this.consumers.push(this.tickConsumer);
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
      c = this.market.spawn<unknown, PriceCacheMessage>({ name: `price-${token}`, behaviour: priceCache(this.prices) as never }) as unknown as Ref;
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
    const ref: Ref = this.strategySupervisor.spawn({ name: instance.id, behaviour: new StrategyBehaviour(instance, { prices: this.prices, stats: this.stats, namespaces, ledger }) });
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
    this.strategySupervisor.remove(s.ref as never, new Error(`strategy ${id} removed`));
  }

  /** Ready means every consumer group has joined: a tick published now will be seen. */
  private async assigned(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.consumers.some((c) => c.assignment.length === 0)) {
      if (Date.now() > deadline) {
        const waiting = this.consumers.filter((c) => c.assignment.length === 0).map((c) => c.name);
        throw new TransportError(`consumer groups not assigned partitions within ${timeoutMs} ms: ${waiting.join(', ')}`, { retriable: true });
      }
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
  async quiet(quietMs: number, timeoutMs = 30_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    let since = Date.now();
    while (Date.now() < deadline) {
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

  /** Nothing in flight: every consumer's deliveries finished and every output confirmed. */
  get idle(): boolean {
    return this.consumers.every((c) => c.inFlight() === 0) && this.options.system.producer.backlog === 0;
  }

  stop(): void {
    this.stopped = true;
    this.snapshotTimer?.cancel();
  }
}
