import type { MessagePort } from 'node:worker_threads';
import { priceCache, type PriceCacheMessage } from '../../../actors/price-cache.ts';
import { StrategyBehaviour, type StrategyMessage } from '../../../actors/strategy.ts';
import { tradingStateActor } from '../../../actors/trading-state.ts';
import type { Supervisor } from '../../../supervisors/supervisor.ts';
import { systemClock } from '../../clock.ts';
import type { AnyEnvelope } from '../../contracts/envelope.ts';
import type { BrokerNamespace } from '../../contracts/topics.ts';
import { asError } from '../../errors.ts';
import { TickBlock, type TickEvent } from '../../fanout/tick-block.ts';
import { TickFanout, type TickTargets } from '../../fanout/tick-fanout.ts';
import type { Logger } from '../../log.ts';
import { PriceBook } from '../../market/price-book.ts';
import type { Quote } from '../../market/quote.ts';
import { TradingStates } from '../../risk/trading-states.ts';
import type { ActorRef } from '../../runtime/actor-ref.ts';
import { STRATEGIES } from '../../strategies/registry.ts';
import { StrategyLedger } from '../../strategies/ledger.ts';
import { PipelineStats } from '../../telemetry/stats.ts';
import { actorKind, type ActorKind } from '../../telemetry/actor-kind.ts';
import { Probes } from '../../telemetry/probes.ts';
import { ActorSystem } from '../actor-system.ts';
import type { FromShard, ShardData, ShardStrategy, ToShard } from './protocol.ts';
import { ShardSim } from './shard-sim.ts';
import { ShardTransport } from './shard-transport.ts';
import { decodeTicks } from './tick-codec.ts';

type Ref = ActorRef<AnyEnvelope>;

/** The shard's price book, noting which of the instruments it owns got a new quote (reported to the main thread). */
class ReportingPriceBook extends PriceBook {
  readonly changed = new Map<number, Quote>();
  owned: ReadonlySet<number> = new Set();

  override publish(quote: Quote): void {
    super.publish(quote);
    if (this.owned.has(quote.instrumentToken)) this.changed.set(quote.instrumentToken, quote);
  }
}

/** The shard's probes, also counting what the main thread's metrics must hear of: restarts and dead letters. */
class CountingProbes extends Probes {
  readonly restartsBy = new Map<ActorKind, number>();
  readonly deadLettersBy = new Map<string, number>();

  override restarted(kind: ActorKind): void {
    super.restarted(kind);
    this.restartsBy.set(kind, (this.restartsBy.get(kind) ?? 0) + 1);
  }

  override deadLettered(topic: string): void {
    super.deadLettered(topic);
    this.deadLettersBy.set(topic, (this.deadLettersBy.get(topic) ?? 0) + 1);
  }
}

/** How often a shard reports its counters to the main thread (and at its end). */
const REPORT_MS = 100;

/** Tick deliveries in flight in a shard before its simulator waits. */
const SIM_BOUND = 50_000;

/**
 * The market side of the pipeline for some instruments, in a worker thread: their price caches and the
 * strategies that trade them, each a supervised actor as in the main thread, fed by blocks of ticks
 * from it. What the strategies publish goes back to the main thread (ShardTransport), which runs the
 * account-wide chain; their outcomes come back here for their ledgers. A block is done, and said to
 * be, once its ticks are handled and what they caused is confirmed on the main thread's bus.
 */
export class Shard {
  private readonly port: MessagePort;
  private readonly transport: ShardTransport;
  private readonly system: ActorSystem;
  private readonly data: ShardData;
  private readonly log: Logger;
  private readonly prices = new ReportingPriceBook();
  private readonly sim: ShardSim;
  private reportedTicks = 0;
  private reportedMailboxes = '';
  private readonly states = new TradingStates();
  private readonly stats = new PipelineStats();
  private readonly market: Supervisor;
  private readonly strategySupervisor: Supervisor;
  private readonly stateRef: Ref;
  private readonly caches = new Map<number, ActorRef<PriceCacheMessage>>();
  private readonly strategies = new Map<string, { readonly behaviour: StrategyBehaviour; readonly ref: ActorRef<StrategyMessage>; readonly instruments: readonly number[] }>();
  /** The state of the strategy last stopped, kept for a reconfiguration that carries it. */
  private lastStopped: { id: string; state: unknown } | undefined;
  private readonly ledgers = new Map<string, StrategyLedger>();
  private readonly targets = new Map<number, TickTargets>();
  private readonly fanout: TickFanout;
  private readonly latencies: number[] = [];
  private readonly reported = { signals: 0, suppressed: 0, sentTo: new Map<BrokerNamespace, number>(), strategies: new Map<string, string>() };
  private readonly reporter: NodeJS.Timeout;
  private readonly probes = new CountingProbes();

  constructor(port: MessagePort, data: ShardData, log: Logger) {
    this.port = port;
    this.data = data;
    this.log = log;
    const { config } = data;
    this.transport = new ShardTransport(port);
    this.system = new ActorSystem({
      name: `shard-${data.index}`,
      transport: this.transport,
      clock: systemClock,
      log,
      policy: config.supervision,
      producer: config.producer,
      onFatal: (e) => this.post({ kind: 'fatal', name: e.name, message: e.message, stack: e.stack ?? '' }),
      probes: this.probes,
    });
    this.market = this.system.root.spawnSupervisor({ name: 'market', policy: config.supervision });
    this.strategySupervisor = this.system.root.spawnSupervisor({ name: 'strategies', policy: config.supervision });
    this.stateRef = this.market.spawn({ name: 'trading-state', behaviour: tradingStateActor(this.states) });
    this.fanout = new TickFanout((t) => this.targetsOf(t), { clock: systemClock, source: 'shard', bound: SIM_BOUND });
    this.sim = new ShardSim(this.fanout);
    this.reporter = setInterval(() => this.report(), REPORT_MS);
    port.on('message', (m: ToShard) => {
      try {
        this.on(m);
      } catch (e) {
        const err = asError(e);
        this.post({ kind: 'fatal', name: err.name, message: err.message, stack: err.stack ?? '' });
      }
    });
    this.post({ kind: 'ready' });
  }

  private post(m: FromShard): void {
    this.port.postMessage(m);
  }

  private on(m: ToShard): void {
    switch (m.kind) {
      case 'ticks': {
        const ticks = decodeTicks({ numbers: m.numbers, strings: m.strings });
        const events = m.events?.map((e, i): TickEvent => ({ id: e.id, type: 'market_tick', version: e.version, ts: e.ts, broker: 'market', source: e.source, key: String(ticks[i]!.instrument_token), correlation_id: e.id, causation_id: null, data: ticks[i]! }));
        const block = new TickBlock(ticks, m.at, m.source, { base: m.base, places: m.places, ...(events ? { events } : {}) });
        this.fanout.hand(block, () => this.post({ kind: 'done', seq: m.seq }));
        return;
      }
      case 'spawn':
        // The ledger this shard kept for the strategy (it heard every outcome) is worth more than a copy.
        return this.spawn(m.strategy, m.ledger ? StrategyLedger.from(m.ledger) : (this.ledgers.get(m.strategy.id) ?? new StrategyLedger()), m.carry);
      case 'stop':
        return this.stop(m.id);
      case 'outcomes':
        for (const e of m.events) this.outcome(e);
        return;
      case 'state':
        this.stateRef.tell({ type: 'trading_state', broker: m.ns, data: m.change } as unknown as AnyEnvelope);
        return;
      case 'sent':
        return this.transport.answered(m.id);
      case 'send-failed':
        return this.transport.answered(m.id, m.message);
      case 'lanes':
        this.sim.setLanes(m.lanes);
        this.prices.owned = new Set(m.lanes.instruments.filter((_, i) => m.lanes.owned[i]).map((i) => i.token));
        return;
      case 'step':
        return this.sim.step(m.from, m.to, m.start, m.ticksPerSecond, () => this.stepped());
      case 'prepare':
        this.sim.prepare(m.from, m.to, m.start, m.ticksPerSecond);
        return this.post({ kind: 'prepared' });
      case 'go':
        return this.sim.go(() => this.stepped());
      case 'run':
        return this.sim.run(m.ticksPerSecond);
      case 'halt':
        return this.sim.halt();
      case 'shutdown':
        void this.shutdown(m.ms);
        return;
    }
  }

  private spawn(s: ShardStrategy, ledger: StrategyLedger, carry: boolean): void {
    const strategy = STRATEGIES.get(s.type);
    if (!strategy) throw new Error(`strategy '${s.id}': type '${s.type}' is not in this build's registry`);
    this.ledgers.set(s.id, ledger);
    // A state to carry only if the instance it replaces had one (an actor makes its state on its first message).
    const kept = carry && this.lastStopped?.id === s.id ? this.lastStopped.state : undefined;
    const carried = kept === undefined ? {} : { carried: kept };
    this.lastStopped = undefined;
    const { config } = this.data;
    const instance = { id: s.id, strategy, instruments: s.instruments, params: s.params, live: s.live };
    const behaviour = new StrategyBehaviour(instance, { prices: this.prices, stats: this.stats, namespaces: s.namespaces, ledger, states: this.states, squareOffAt: config.trading.squareOffAt, instanceId: this.data.instanceId, probes: { signalMade: (tickAt, now) => void this.latencies.push(tickAt, now) } }, carried);
    const ref = this.strategySupervisor.spawn({ name: s.id, behaviour });
    this.strategies.set(s.id, { behaviour, ref, instruments: s.instruments });
    for (const t of s.instruments) this.targets.delete(t);
  }

  private stop(id: string): void {
    const s = this.strategies.get(id);
    if (!s) return;
    this.strategies.delete(id);
    this.lastStopped = { id, state: s.behaviour.current?.strategy };
    for (const t of s.instruments) this.targets.delete(t);
    this.strategySupervisor.remove(s.ref as unknown as Parameters<Supervisor['remove']>[0], new Error(`strategy ${id} stopped`));
  }

  /** An outcome of one of this shard's strategies: its ledger, and its onFill hook if it has one. */
  private outcome(e: AnyEnvelope): void {
    switch (e.type) {
      case 'order_filled': {
        const f = e.data;
        this.ledgers.get(f.strategy_id)?.filled(e.correlation_id, f.instrument_token, f.signal_type === 'BUY' ? f.quantity : -f.quantity, `${f.order_id}|${f.fill_id}`);
        const s = this.strategies.get(f.strategy_id);
        if (s?.behaviour.instance.strategy.onFill) s.ref.tell(e);
        return;
      }
      case 'rejected_signal':
        this.ledgers.get(e.data.original_signal.strategy_id)?.refused(e.correlation_id);
        return;
      case 'order_failed':
        this.ledgers.get(e.data.strategy_id)?.refused(e.correlation_id);
        return;
      default:
        return;
    }
  }

  private targetsOf(token: number): TickTargets {
    let t = this.targets.get(token);
    if (!t) {
      const own: ActorRef<unknown>[] = [this.cache(token)];
      const shared: ActorRef<unknown>[] = [];
      for (const s of this.strategies.values()) {
        if (!s.instruments.includes(token)) continue;
        (new Set(s.instruments).size === 1 ? own : shared).push(s.ref);
      }
      this.targets.set(token, (t = { own, shared } as unknown as TickTargets));
    }
    return t;
  }

  private cache(token: number): ActorRef<PriceCacheMessage> {
    let c = this.caches.get(token);
    if (!c) this.caches.set(token, (c = this.market.spawn<unknown, PriceCacheMessage>({ name: `price-${token}`, behaviour: priceCache(this.prices) }) as ActorRef<PriceCacheMessage>));
    return c;
  }

  /** A step's ticks are handled: the counters and quotes go first, so the main thread's view is current when it goes on. */
  private stepped(): void {
    this.report();
    this.post({ kind: 'stepped' });
  }

  /** What moved since the last report, if anything did. */
  private report(): void {
    const s = this.stats;
    const r = this.reported;
    const sentTo: Array<[BrokerNamespace, number]> = [];
    for (const [ns, n] of s.sentTo) {
      const d = n - (r.sentTo.get(ns) ?? 0);
      if (d !== 0) sentTo.push([ns, d]);
      r.sentTo.set(ns, n);
    }
    const strategies: Array<[string, number, number]> = [];
    for (const [id, c] of s.byStrategy) {
      const key = `${c.ticks}|${c.signals}`;
      const before = r.strategies.get(id);
      if (before === key) continue;
      const [ticks, signals] = before ? before.split('|').map(Number) : [0, 0];
      strategies.push([id, c.ticks - ticks!, c.signals - signals!]);
      r.strategies.set(id, key);
    }
    const signals = s.signals - r.signals;
    const suppressed = s.suppressed - r.suppressed;
    const ticks = this.sim.ownTicks - this.reportedTicks;
    const changed = this.prices.changed;
    const { restartsBy, deadLettersBy } = this.probes;
    const mailboxes = this.mailboxes();
    const same = mailboxes.join('|') === this.reportedMailboxes;
    if (same && signals === 0 && suppressed === 0 && ticks === 0 && changed.size === 0 && sentTo.length === 0 && strategies.length === 0 && this.latencies.length === 0 && restartsBy.size === 0 && deadLettersBy.size === 0) return;
    this.reportedMailboxes = mailboxes.join('|');
    const restarts = [...restartsBy];
    const deadLetters = [...deadLettersBy];
    restartsBy.clear();
    deadLettersBy.clear();
    r.signals = s.signals;
    r.suppressed = s.suppressed;
    this.reportedTicks = this.sim.ownTicks;
    const quotes = new Float64Array(changed.size * 7);
    let o = 0;
    for (const q of changed.values()) {
      quotes.set([q.instrumentToken, q.last, q.bid ?? Number.NaN, q.ask ?? Number.NaN, q.volume, q.exchangeTs, q.simulated ? 1 : 0], o);
      o += 7;
    }
    changed.clear();
    this.port.postMessage({ kind: 'stats', signals, suppressed, sentTo, strategies, latencies: this.latencies.splice(0), ticks, quotes, restarts, deadLetters, mailboxes } satisfies FromShard, [quotes.buffer]);
  }

  /** The mailboxes by actor kind: messages held in all, and in the fullest. */
  private mailboxes(): Array<[ActorKind, number, number]> {
    const by = new Map<ActorKind, [ActorKind, number, number]>();
    this.system.forEachMailbox((supervisor, name, pending) => {
      const kind = actorKind(supervisor, name);
      const d = by.get(kind);
      if (d) [d[1], d[2]] = [d[1] + pending, Math.max(d[2], pending)];
      else by.set(kind, [kind, pending, pending]);
    });
    return [...by.values()];
  }

  private async shutdown(ms: number): Promise<void> {
    this.sim.halt();
    clearInterval(this.reporter);
    await this.system.stop(ms).catch((e: unknown) => this.log.warn({ err: asError(e) }, 'shard did not stop cleanly'));
    this.report();
    this.post({ kind: 'stopped' });
  }
}
