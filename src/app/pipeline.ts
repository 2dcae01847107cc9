import type { ConsumerActor, Route } from '../../actors/consumer.ts';
import { TickFanout, type TickTargets } from '../fanout/tick-fanout.ts';
import { priceCache, type PriceCacheMessage } from '../../actors/price-cache.ts';
import { StrategyBehaviour, type StrategyMessage, type StrategyStart } from '../../actors/strategy.ts';
import { strategyLedgers } from '../../actors/strategy-ledgers.ts';
import { tradingStateActor } from '../../actors/trading-state.ts';
import { activityFeed } from '../../actors/activity-feed.ts';
import { RecentEvents } from '../api/recent-events.ts';
import type { Supervisor } from '../../supervisors/supervisor.ts';
import type { Config } from '../config/schema.ts';
import type { AnyEnvelope } from '../contracts/envelope.ts';
import { allTopics, CONTROL_STRATEGIES, consumerGroup, MARKET_TICKS, ROLES, topicsOfRole, type BrokerNamespace, type ChainRole, type Role } from '../contracts/topics.ts';
import { NO_STORE, type ChainStore } from '../db/chain-store.ts';
import { ConfigError, StartAborted, TransportError } from '../errors.ts';
import { namespacesFor } from '../execution/routing.ts';
import type { Instrument, InstrumentCatalogue } from '../market/instruments.ts';
import { PriceBook } from '../market/price-book.ts';
import type { PortfolioBook } from '../portfolio/book.ts';
import type { RiskEngine } from '../risk/engine.ts';
import { TradingStates } from '../risk/trading-states.ts';
import type { ActorKind } from '../telemetry/actor-kind.ts';
import type { ActorRef } from '../runtime/actor-ref.ts';
import { instanceOf, type StrategyInstance } from '../strategies/config.ts';
import { StrategyLedger } from '../strategies/ledger.ts';
import { PipelineStats } from '../telemetry/stats.ts';
import type { ActorSystem } from './actor-system.ts';
import { Chain, type LiveVenue } from './chain.ts';
import { Shards } from './shard/shards.ts';
import { kafkaWorkers } from './shard/workers.ts';
import { persist, untilAborted } from './start-waits.ts';

import { instancesSource, StrategyHost, type HostedStrategy, type StrategySource } from './strategy-host.ts';
import { warmUp } from './warm-up.ts';

export interface PipelineOptions {
  readonly system: ActorSystem;
  readonly config: Config;
  readonly catalogue: InstrumentCatalogue;
  /** Where the strategies are configured (the database, or the YAML file), or instances made in code. */
  readonly strategies: StrategySource | readonly StrategyInstance[];
  /** This instance's name in the deployment: its own consumer groups are named after it (default 'local'). */
  readonly instanceId?: string;
  /** Where the chain records its effects (the ledger); none: nothing survives a restart but the log. */
  readonly store?: ChainStore;
  /**
   * Whether this instance may run the account-wide chain (it holds the chain lease), now or later;
   * absent: it runs it from the start (one instance, or no database to hold a lease in).
   */
  readonly leadership?: Leadership;
  /**
   * Live venues by namespace. The pipeline asks for one only when live trading is switched on globally;
   * with it off, none is looked at, no live consumer exists, and no strategy routes to one.
   */
  readonly liveVenues?: Partial<Record<BrokerNamespace, LiveVenue>>;
  /**
   * How long to wait for every consumer group to be assigned its partitions before giving up. By default
   * a minute, or three session timeouts if longer: a member that crashed while joining is evicted only
   * after its session times out, and the rebalance that follows may take as long again.
   */
  readonly assignmentTimeoutMs?: number;
  /** Read market.ticks from the start of the log (replays into a fresh topic) instead of from now. */
  readonly ticksFromBeginning?: boolean;
  /** Ends the start early (Ctrl-C while groups are joining). */
  readonly signal?: AbortSignal;
  /** Updated while starting, for the status line. */
  readonly progress?: StartupProgress;
  /** Names the feed in this process on the tick events it makes (the in-process bus's direct path). */
  readonly feedSource?: string;
  /** A shard (worker thread) failed past its supervisors: the run cannot go on as configured. */
  readonly onFatal?: (e: Error) => void;
  /** Threads the market side is sharded over (workersFor); 1, the default, runs it in this thread. */
  readonly workers?: number;
}


/** Stands for state a shard keeps: a reconfiguration that carries it is done inside the shard. */
const IN_SHARD = Symbol('state kept in its shard');

type Ref = ActorRef<AnyEnvelope>;

/** Tick deliveries (a tick to one actor) in flight on the direct path before a feed waits. */
const DIRECT_BOUND = 50_000;

/** This process's start, as a group name suffix. */
const START = `${Date.now().toString(36)}${process.pid.toString(36)}`;

/** The chain lease as the pipeline sees it. */
export interface Leadership {
  /** One try at start: true when this instance leads from the start. */
  first(): Promise<boolean>;
  /** Resolves when this instance becomes the leader (another instance's lease expired). */
  next(): Promise<void>;
}

/** Where start-up is, for the status line. */
export interface StartupProgress {
  phase: 'starting' | 'joining' | 'running';
  assigned: number;
  groups: number;
}

/**
 * The trading pipeline of one instance. Every instance runs the market side: price caches, the
 * strategies this instance was assigned (see StrategyHost), the ledgers of every strategy and the
 * trading states, each fed by a consumer group of its own. The instance that holds the chain lease
 * also runs the account-wide chain of every namespace (see Chain). Each role's consumer group comes
 * from the topology (src/contracts/topics.ts).
 */
export class Pipeline {
  readonly prices = new PriceBook();
  readonly states = new TradingStates();
  readonly stats = new PipelineStats();
  /** What the dashboard lists (the activity role's consumer keeps it). */
  readonly recent: RecentEvents;
  readonly namespaces: readonly BrokerNamespace[];
  readonly consumers: ConsumerActor[] = [];
  readonly progress: StartupProgress;
  /** The chain, on the instance that runs it. */
  chain: Chain | undefined;
  /** What each strategy holds, every strategy of the deployment; kept when its actor stops or moves. */
  readonly ledgers = new Map<string, StrategyLedger>();
  /** Resolves once the strategies taken at start are warmed up and released to trade. */
  warmed: Promise<void> = Promise.resolve();
  host!: StrategyHost;
  private tickConsumer: ConsumerActor | undefined;
  private outcomeConsumers: ConsumerActor[] = [];
  /** Starts the tick consumer held back until the first assignment is applied (a durable log), once. */
  private startTicks: (() => void) | undefined;
  /** Where the live tick consumer begins in this process, per partition: its commit, else where a new group starts. */
  private readonly tickStart = new Map<number, bigint>();
  /** Of those, the partitions the tick group has no commit for yet: its consumer starts them there. */
  private readonly tickFresh = new Map<number, bigint>();
  private readonly options: PipelineOptions & { readonly instanceId: string; readonly strategies: StrategySource };
  private readonly market: Supervisor;
  private readonly strategySupervisor: Supervisor;
  private readonly caches = new Map<number, Ref>();
  private readonly strategies = new Map<string, { instance: StrategyInstance; ref: ActorRef<StrategyMessage>; behaviour: HostedStrategy; sharded?: true }>();
  /** The worker threads the market side is sharded over; undefined: it runs in this thread. */
  readonly shards: Shards | undefined;
  /** Per instrument, the strategies here that trade it (single: it alone). */
  private readonly byInstrument = new Map<number, Array<{ readonly ref: Ref; readonly single: boolean }>>();
  private readonly targets = new Map<number, readonly Ref[]>();
  private readonly directTargets = new Map<number, TickTargets>();
  private readonly routes = new Map<boolean, BrokerNamespace[]>();
  /**
   * On the in-process bus, ticks from a feed in this process go straight to the price caches and
   * strategies (src/fanout); on Kafka every tick comes through the log.
   */
  readonly direct: TickFanout | undefined;
  private ledgerKeeper: Ref | undefined;
  private snapshotTimer: { cancel(): void } | undefined;
  private stopped = false;
  private readonly abort = new AbortController();

  private constructor(options: PipelineOptions & { readonly instanceId: string; readonly strategies: StrategySource }) {
    this.options = options;
    this.progress = options.progress ?? { phase: 'starting', assigned: 0, groups: 0 };
    const { config } = options;
    this.recent = new RecentEvents(config.http.recentEvents, (t) => options.catalogue.get(t)?.symbol);
    this.namespaces = namespacesFor(true, { paperEnabled: config.trading.paperEnabled, liveEnabled: config.trading.liveEnabled });
    if (this.namespaces.length === 0) throw new ConfigError(['trading: paper and live trading are both off: nothing would trade']);
    for (const ns of this.namespaces) {
      if (ns !== 'paper' && !options.liveVenues?.[ns]) {
        throw new ConfigError([`trading.liveEnabled is true but no ${ns} venue was set up: switch it off (ALPHA_PANDA_TRADING__LIVE_ENABLED=false)`]);
      }
    }
    const policy = config.supervision;
    const workers = options.workers ?? 1;
    if (workers > 1) {
      if (options.system.transport.kind !== 'memory') throw kafkaWorkers(workers);
      const { system } = options;
      this.shards = new Shards({ count: workers, config, instanceId: options.instanceId, transport: system.transport, log: system.log, stats: this.stats, probes: system.probes, prices: this.prices, onFatal: (e) => this.shardFailed(e) });
    }
    if (options.system.transport.kind === 'memory') {
      this.direct = new TickFanout((token) => this.directTargetsOf(token), { clock: options.system.clock, source: options.feedSource ?? 'feed', bound: DIRECT_BOUND });
    }
    this.market = options.system.root.spawnSupervisor({ name: 'market', policy });
    this.strategySupervisor = options.system.root.spawnSupervisor({ name: 'strategies', policy });
  }

  static async start(given: PipelineOptions): Promise<Pipeline> {
    const options = { ...given, instanceId: given.instanceId ?? 'local', strategies: Array.isArray(given.strategies) ? instancesSource(given.strategies as readonly StrategyInstance[]) : (given.strategies as StrategySource) };
    const p = new Pipeline(options);
    try {
      await p.begin();
    } catch (e) {
      // A start that fails or is stopped leaves no worker thread behind (one would keep the process alive).
      p.stop();
      await p.close(1000);
      throw e;
    }
    return p;
  }

  private async begin(): Promise<void> {
    const p = this;
    const options = this.options;
    const { system } = options;
    if (p.shards) await untilAborted(p.shards.ready(), options.signal, 'while the worker threads started');
    // The groups this instance will join (the chain's among them if it leads): shown while connecting.
    p.progress.groups = Object.values(ROLES).reduce((n, r) => n + (r.scope === 'chain' ? p.namespaces.length : 1), 0);
    await system.transport.ensureTopics(allTopics(p.namespaces));
    const partitions = await persist(() => system.transport.partitionCount(CONTROL_STRATEGIES), options.signal, 'while asking the broker for the control topic');
    p.host = new StrategyHost(partitions, options.strategies, {
      spawn: (spec, start) => p.addStrategy(options.strategies.instance ? options.strategies.instance(spec) : instanceOf(spec), start),
      stop: (id) => p.removeStrategy(id),
      warm: (list) => {
        p.warmed = p.warm(list);
      },
      assigned: () => p.startTicks?.(),
      ledgerOf: (id) => p.ledgerOf(id),
      log: system.log.child({ component: 'strategy-host' }),
    });
    // Where the tick group will start: ticks before it are a warm-up's, ticks from it the live consumer's.
    const tickGroup = consumerGroup(options.config.kafka.groupPrefix, 'strategy-runner', { instance: options.instanceId });
    const committed = await persist(() => system.transport.committed(tickGroup, MARKET_TICKS), options.signal, 'while reading committed offsets');
    const ends = await persist(() => system.transport.endOffsets(MARKET_TICKS), options.signal, 'while reading the end of market.ticks');
    // A partition without a commit starts at the end of the log as it is now (or at its start, replaying):
    // exactly there, whatever is published while the group is joined, and committed once joined.
    for (const [partition, end] of ends) {
      const at = committed.get(partition);
      p.tickStart.set(partition, at ?? (options.ticksFromBeginning ? 0n : end));
      if (at === undefined) p.tickFresh.set(partition, p.tickStart.get(partition)!);
    }
    p.startInstanceConsumers();
    p.progress.phase = 'joining';
    const leadership = options.leadership;
    if (!leadership || (await leadership.first())) await p.startChain();
    else {
      system.log.info('another instance runs the account-wide chain: this one runs strategies, and takes the chain over if that instance stops');
      void leadership.next().then(
        () => (p.stopped ? undefined : p.startChain()),
        () => undefined,
      );
    }
    await p.assigned(p.assignmentTimeoutMs, options.signal);
    await p.chain?.resume();
    p.progress.phase = 'running';
    p.scheduleSnapshots();
  }

  /** The account-wide chain: restored from the ledger, then its consumers join. */
  private async startChain(): Promise<void> {
    const { system, config, catalogue, liveVenues } = this.options;
    this.chain = await Chain.start({ system, config, catalogue, prices: this.prices, stats: this.stats, namespaces: this.namespaces, store: this.options.store ?? NO_STORE, ledgerOf: (id) => this.ledgerOf(id), ...(liveVenues ? { liveVenues } : {}) });
    this.consumers.push(...this.chain.consumers);
    if (this.progress.phase === 'running') {
      // Taken over while running: resume once its groups are assigned.
      await this.assigned(this.assignmentTimeoutMs, this.abort.signal).catch(() => undefined);
      await this.chain.resume();
      system.log.info({ namespaces: this.namespaces }, 'this instance now runs the account-wide chain');
    }
  }

  private get assignmentTimeoutMs(): number {
    return this.options.assignmentTimeoutMs ?? Math.max(60_000, 3 * this.options.config.kafka.sessionTimeoutMs);
  }

  /** The actor system it runs in (the metrics read both). */
  get system(): ActorSystem {
    return this.options.system;
  }

  get portfolios(): ReadonlyMap<BrokerNamespace, PortfolioBook> {
    return this.chain?.portfolios ?? new Map();
  }

  get engines(): ReadonlyMap<BrokerNamespace, RiskEngine> {
    return this.chain?.engines ?? new Map();
  }

  ledgerOf(id: string): StrategyLedger {
    let l = this.ledgers.get(id);
    if (!l) this.ledgers.set(id, (l = new StrategyLedger()));
    return l;
  }

  /** The per-instance and shared roles' consumers, from the topology table. */
  private startInstanceConsumers(): void {
    const { system, config, instanceId } = this.options;
    const prefix = config.kafka.groupPrefix;
    const states: Ref = this.market.spawn({ name: 'trading-state', behaviour: tradingStateActor(this.states) });
    const activity: Ref = this.market.spawn({ name: 'activity-feed', behaviour: activityFeed(this.recent) });
    this.ledgerKeeper = this.market.spawn({ name: 'strategy-ledgers', behaviour: strategyLedgers((id) => this.ledgerOf(id)) });
    const keeper = this.ledgerKeeper;
    const host = this.host;
    const hostRef: Ref = this.strategySupervisor.spawn({
      name: 'strategy-host',
      behaviour: {
        init: () => null,
        async receive(s, e) {
          if (e.type === 'strategy_changed') await host.apply(e.data);
          return s;
        },
      },
    });
    const routes: Record<Exclude<Role, ChainRole>, Route> = {
      'strategy-runner': (e) => (e.type === 'market_tick' ? this.tickTargets(e.data.instrument_token) : undefined),
      'strategy-host': () => hostRef,
      // Every strategy's ledger hears what it sent and how it ended; its own actor hears its fills.
      'strategy-outcomes': (e) => {
        if (e.type === 'trading_signal') return keeper;
        const id = e.type === 'rejected_signal' ? e.data.original_signal.strategy_id : e.type === 'order_filled' || e.type === 'order_failed' ? e.data.strategy_id : undefined;
        // A strategy that ran in a shard keeps its ledger there, which hears how its signals ended.
        const home = id === undefined ? undefined : this.shards?.homeOf(id);
        if (home) return [keeper, this.shards!.refOf(home)];
        const own = id === undefined ? undefined : this.strategies.get(id);
        return e.type === 'order_filled' && own?.instance.strategy.onFill ? [keeper, own.ref as Ref] : keeper;
      },
      'trading-state': () => (this.shards ? [states, ...this.shards.links.map((l) => this.shards!.refOf(l))] : states),
      activity: () => activity,
    };
    const join = (role: keyof typeof routes) => {
      const spec = ROLES[role];
      const topics = topicsOfRole(role, this.namespaces);
      const fromBeginning = role === 'strategy-runner' ? (this.options.ticksFromBeginning ?? false) : spec.startAt === 'earliest';
      // A group that never commits holds nothing worth keeping: each start joins one of its own, so a
      // process killed with -9 leaves no member behind that the next start would wait out.
      const groupId = spec.commits ? consumerGroup(prefix, role, { instance: instanceId }) : `${consumerGroup(prefix, role, { instance: instanceId })}.${START}`;
      const supervisor = role === 'strategy-runner' || role === 'trading-state' ? this.market : this.strategySupervisor;
      const onAssignment = role === 'strategy-host' ? (tps: readonly { partition: number }[]) => void host.assign(tps.map((t) => t.partition)) : undefined;
      const startAt = role === 'strategy-runner' && this.tickFresh.size > 0 ? { startAt: new Map([[MARKET_TICKS, this.tickFresh]]) } : {};
      const c = system.consumer({ name: `${role}-in`, groupId, topics, route: routes[role], fromBeginning, ...startAt, commits: spec.commits, ...(onAssignment ? { onAssignment } : {}), ...config.consumer }, supervisor);
      if (role === 'strategy-runner') this.tickConsumer = c;
      if (role === 'strategy-outcomes' || role === 'trading-state') this.outcomeConsumers.push(c);
      this.consumers.push(c);
    };
    // On a log that outlives the process, ticks are taken only once the first assignment's strategies
    // are there to hold them: the group commits only what every strategy here has handled, so a tick
    // taken before they came would be committed unseen, and a process killed while they warm up would
    // be restarted past it.
    const later = system.transport.durable ? 'strategy-runner' : undefined;
    for (const role of Object.keys(routes) as (keyof typeof routes)[]) if (role !== later) join(role);
    if (later) this.startTicks = () => this.tickConsumer ?? join(later);
  }

  /**
   * Warms strategies taken over up to where the live tick consumer had got when they were attached,
   * waits for the ledgers and trading states to have read what was on the log at start, then releases
   * them to trade: they hold the live ticks that came meanwhile and handle them then.
   */
  private async warm(all: readonly HostedStrategy[]): Promise<void> {
    // A strategy in a shard starts released. On the in-process bus the log holds no ticks a feed in this
    // process handed over directly (src/fanout), so any strategy's warm-up there replays only ticks that
    // came through the log; a shard's would have nothing at all to replay.
    const list = all.filter((b): b is StrategyBehaviour => b instanceof StrategyBehaviour);
    if (list.length === 0) return;
    const { system, config } = this.options;
    // Where the live consumer is now, when the strategies are attached: what it hands out from here on
    // reaches them; what it handed out before did not.
    const routed = this.tickConsumer?.behaviour.routedUpTo(MARKET_TICKS) ?? new Map<number, bigint>();
    const until = new Map(this.tickStart);
    for (const [p, o] of routed) until.set(p, o);
    const start = this.tickStart;
    try {
      // Over Kafka the instance a strategy moves from stops it on the same rebalance, a moment apart: its
      // last signals are let land on the log before they are read back, or this instance would make them
      // again on the ticks they were made on (the same events, judged once, but sent twice).
      const grace = system.transport.kind === 'kafka' ? config.recovery.handoverGraceMs : 0;
      if (grace > 0) await new Promise((r) => system.clock.schedule(grace, () => r(undefined)));
      // What every strategy sent is read back first: the warm-up ends where its signals on the log end.
      await this.caughtUp(this.outcomeConsumers, 'still reading the ledgers back before releasing strategies');
      system.log.debug({ strategies: list.length, until: Object.fromEntries([...until].map(([p, o]) => [p, String(o)])) }, 'ledgers read back; warming up');
      const since = system.clock.now() - config.recovery.warmUpMs;
      const r = await warmUp(system.transport, list, { start, until }, since, (id) => this.ledgerOf(id), this.abort.signal);
      let caughtUp = 0;
      for (const b of list) {
        const s = this.strategies.get(b.instance.id);
        const w = r.warmed.get(b)!;
        caughtUp += w.catchUp.length;
        if (s?.behaviour === b) s.ref.tell({ kind: 'warmed', strategy: w.state, catchUp: w.catchUp, from: w.from });
      }
      system.log.info({ strategies: list.length, ticks: r.ticks, caughtUp, ms: r.ms }, 'strategies warmed up on the log and released');
    } catch (e) {
      if (this.stopped) return;
      // Without its warm-up a strategy would decide on empty indicators: released anyway, as a new one.
      system.log.error({ err: e }, 'warm-up failed: the strategies start from empty indicators');
      for (const b of list) this.strategies.get(b.instance.id)?.ref.tell({ kind: 'warmed', strategy: b.instance.strategy.init(b.instance.params, b.instance.instruments) });
    }
  }

  /**
   * Resolves once each consumer has handed out and finished what its topics held when this was called
   * (true), or at `deadline` or a stop (false); `waiting` is logged every 10 s until then.
   */
  private async caughtUp(consumers: readonly ConsumerActor[], waiting: string, deadline = Infinity): Promise<boolean> {
    const ends = await Promise.all(consumers.map((c) => Promise.all(c.behaviour.options.topics.map(async (t) => [t, await this.toTakeIn(c, t)] as const))));
    const log = this.options.system.log;
    for (let since = Date.now(); Date.now() < deadline; ) {
      const behind = consumers.flatMap((c, i) =>
        ends[i]!.flatMap(([topic, end]) => {
          const at = c.behaviour.routedUpTo(topic);
          return [...end].filter(([p, o]) => o > 0n && (at.get(p) ?? -1n) < o).map(([p, o]) => `${topic}[${p}] at ${at.get(p) ?? 'nothing'} of ${o}`);
        }),
      );
      if (behind.length === 0 && consumers.every((c) => c.behaviour.inFlight === 0)) return true;
      if (this.stopped) return false;
      if (Date.now() - since > 10_000) {
        log.warn({ behind }, waiting);
        since = Date.now();
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    return false;
  }

  /**
   * Where `topic` ends, per partition, of the partitions with something there for `c` to take in: a
   * committing group's partition committed to its end has nothing (nothing there is handed out in this
   * process, so nothing would ever count as taken in).
   */
  private async toTakeIn(c: ConsumerActor, topic: string): Promise<Map<number, bigint>> {
    const { transport } = this.options.system;
    const end = await transport.endOffsets(topic);
    if (c.behaviour.options.commits === false) return end;
    for (const [p, o] of await transport.committed(c.behaviour.options.groupId, topic)) if (o >= (end.get(p) ?? 0n)) end.delete(p);
    return end;
  }

  /**
   * Before a clean stop's last snapshot: every chain consumer has finished what its topics held when this
   * was called (the portfolio has applied every fill then on the log), or `ms` passed (false).
   */
  async chainCaughtUp(ms: number): Promise<boolean> {
    const consumers = this.chain?.consumers ?? [];
    if (consumers.length === 0 || !this.options.system.transport.durable) return true;
    // A broker that is gone answers nothing: reading where the topics end gives up with the budget.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const out = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    const caught = this.caughtUp(consumers, "still taking in what the chain's topics hold before the last snapshot", Date.now() + ms).catch((e: unknown) => {
      this.options.system.log.warn({ err: e }, "cannot read where the chain's topics end");
      return false;
    });
    try {
      return await Promise.race([caught, out]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A tick goes to its instrument's price cache and to every strategy here that trades the instrument. */
  private tickTargets(token: number): readonly Ref[] {
    let t = this.targets.get(token);
    if (!t) {
      this.targets.set(token, (t = [this.cache(token), ...new Set((this.byInstrument.get(token) ?? []).map((s) => s.ref))]));
    }
    return t;
  }

  /** The same actors, for ticks handed over in process: the ones that trade other instruments too get merged chunks. */
  private directTargetsOf(token: number): TickTargets {
    let t = this.directTargets.get(token);
    if (!t) {
      const here = this.byInstrument.get(token) ?? [];
      // A shard is one target however many of its strategies trade the instrument.
      t = { own: [this.cache(token), ...here.filter((s) => s.single).map((s) => s.ref)], shared: [...new Set(here.filter((s) => !s.single).map((s) => s.ref))] } as unknown as TickTargets;
      this.directTargets.set(token, t);
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

  /** Spawns a strategy actor; its instruments' ticks reach it from the next batch on. */
  addStrategy(instance: StrategyInstance, start?: StrategyStart): HostedStrategy {
    if (this.strategies.has(instance.id)) throw new ConfigError([`strategy '${instance.id}' is already running`]);
    const namespaces = this.namespacesOf(instance.live);
    if (this.shards) return this.addToShard(this.shards, instance, namespaces, start);
    const ledger = this.ledgerOf(instance.id);
    const behaviour = new StrategyBehaviour(instance, { prices: this.prices, stats: this.stats, namespaces, ledger, states: this.states, squareOffAt: this.options.config.trading.squareOffAt, instanceId: this.options.instanceId, probes: this.options.system.probes }, start);
    const ref = this.strategySupervisor.spawn({ name: instance.id, behaviour });
    this.strategies.set(instance.id, { instance, ref, behaviour });
    const single = new Set(instance.instruments).size === 1;
    for (const token of new Set(instance.instruments)) {
      let list = this.byInstrument.get(token);
      if (!list) this.byInstrument.set(token, (list = []));
      list.push({ ref: ref as Ref, single });
      this.targets.delete(token);
      this.directTargets.delete(token);
    }
    return behaviour;
  }

  /** A strategy run by a shard (src/app/shard/shards.ts); what its ticks are routed to is that shard. */
  private addToShard(shards: Shards, instance: StrategyInstance, namespaces: BrokerNamespace[], start: StrategyStart | undefined): HostedStrategy {
    const link = shards.place(instance, namespaces, () => this.ledgerOf(instance.id).snapshot(), start?.carried === IN_SHARD);
    const ref = shards.refOf(link);
    const hosted: HostedStrategy = { instance, current: { strategy: IN_SHARD } };
    this.strategies.set(instance.id, { instance, ref: ref as unknown as ActorRef<StrategyMessage>, behaviour: hosted, sharded: true });
    for (const token of new Set(instance.instruments)) {
      let list = this.byInstrument.get(token);
      if (!list) this.byInstrument.set(token, (list = []));
      list.push({ ref, single: false });
      this.targets.delete(token);
      this.directTargets.delete(token);
    }
    return hosted;
  }

  /** Where a strategy's signals go (paper, and live when it may trade live): one array per answer, shared. */
  private namespacesOf(live: boolean): BrokerNamespace[] {
    const { config } = this.options;
    let list = this.routes.get(live);
    if (!list) this.routes.set(live, (list = namespacesFor(live, { paperEnabled: config.trading.paperEnabled, liveEnabled: config.trading.liveEnabled }).filter((ns) => this.namespaces.includes(ns))));
    return list;
  }

  /** Stops a strategy actor; ticks already in its mailbox are dead-lettered, not lost. */
  removeStrategy(id: string): void {
    const s = this.strategies.get(id);
    if (!s) throw new ConfigError([`strategy '${id}' is not running`]);
    this.strategies.delete(id);
    for (const token of new Set(s.instance.instruments)) {
      const list = this.byInstrument.get(token) ?? [];
      list.splice(list.findIndex((x) => x.ref === (s.ref as Ref)), 1);
      this.targets.delete(token);
      this.directTargets.delete(token);
    }
    if (s.sharded) this.shards?.remove(id);
    else this.strategySupervisor.remove(s.ref as unknown as Parameters<Supervisor['remove']>[0], new Error(`strategy ${id} stopped`));
  }

  /** Every shard's mailboxes as it last reported them (the metrics). */
  forEachShardMailbox(visit: (kind: ActorKind, total: number, max: number) => void): void {
    this.shards?.forEachMailbox(visit);
  }

  /** A shard failed past its supervisors: the run's fatal (or, for an embedder that gave none, a stop). */
  private shardFailed(e: Error): void {
    if (this.stopped) return;
    this.options.system.log.fatal({ err: e }, 'a shard of the market side failed');
    if (this.options.onFatal) this.options.onFatal(e);
    else this.stop();
  }

  /** Ready means every consumer group has joined: a tick published now will be seen. */
  private async assigned(timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const waiting = this.consumers.filter((c) => c.assignment.length === 0);
      this.progress.assigned = this.consumers.length - waiting.length;
      this.progress.groups = this.consumers.length;
      if (waiting.length === 0 && this.host.assignedOnce) return;
      if (signal?.aborted) throw new StartAborted('while consumer groups were joining');
      if (Date.now() > deadline) throw new TransportError(`consumer groups not assigned partitions within ${timeoutMs} ms: ${waiting.map((c) => c.name).join(', ')}`, { retriable: true });
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Ticks this process has taken from market.ticks. */
  get ticks(): number {
    return (this.tickConsumer?.stats.received ?? 0) + (this.direct?.received ?? 0) + (this.shards?.ticks ?? 0);
  }

  /** Changes whenever anything moves: consumers taking records, outputs confirmed, signals, fills. */
  get activity(): string {
    const s = this.stats;
    return `${this.consumers.map((c) => c.stats.received).join(',')}|${this.direct?.received ?? 0}|${this.shards?.ticks ?? 0}|${this.options.system.producer.backlog}|${s.signals}|${s.validated}|${s.rejected}|${s.fills}|${s.failed}`;
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
    this.chain?.snapshot();
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

  /** Everything published so far handled, outcomes included (in process: every group caught up too), now. */
  get settledNow(): boolean {
    return this.idle && (this.options.system.transport.caughtUp?.() ?? true);
  }

  /** Nothing in flight: every consumer's deliveries finished and every output confirmed. */
  get idle(): boolean {
    return (this.direct?.inFlight ?? 0) === 0 && this.consumers.every((c) => c.behaviour.inFlight === 0) && this.options.system.producer.backlog === 0;
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    this.snapshotTimer?.cancel();
  }

  /** Stops the shards (their actors drain, their last counters come in) within `ms`. */
  async close(ms = 5000): Promise<void> {
    this.stopped = true;
    await this.shards?.close(ms);
  }
}
