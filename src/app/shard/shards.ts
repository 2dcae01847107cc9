import { partitionOf } from '../../bus/partition.ts';
import type { Transport } from '../../bus/transport.ts';
import type { Config } from '../../config/schema.ts';
import type { AnyEnvelope } from '../../contracts/envelope.ts';
import type { BrokerNamespace } from '../../contracts/topics.ts';
import { ConfigError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import type { Instrument } from '../../market/instruments.ts';
import type { PriceBook } from '../../market/price-book.ts';
import type { ActorRef } from '../../runtime/actor-ref.ts';
import type { StrategyInstance } from '../../strategies/config.ts';
import type { LedgerSnapshot } from '../../strategies/ledger.ts';
import { STRATEGIES } from '../../strategies/registry.ts';
import type { ActorKind } from '../../telemetry/actor-kind.ts';
import type { Probes } from '../../telemetry/probes.ts';
import type { PipelineStats } from '../../telemetry/stats.ts';
import type { ShardStats } from './protocol.ts';
import { ShardLink } from './shard-link.ts';

export interface ShardsOptions {
  readonly count: number;
  readonly config: Config;
  readonly instanceId: string;
  readonly transport: Transport;
  readonly log: Logger;
  /** The main thread's views the shards' reports go into. */
  readonly stats: PipelineStats;
  readonly probes: Probes;
  readonly prices: PriceBook;
  readonly onFatal: (e: Error) => void;
}

/**
 * The market side's worker threads as the pipeline sees them: where each strategy runs (the shard of its
 * first instrument) and where its ledger lives, which instruments each shard simulates, and the shards'
 * reports folded into this thread's counters, metrics and price book. A shard is an actor reference
 * to the pipeline (`refOf`): ticks, outcomes and trading states are delivered to it as to any actor.
 */
export class Shards {
  readonly links: readonly ShardLink[];
  /** Changes whenever a strategy is placed in a shard or taken out: the simulator's lanes are sent again. */
  placements = 0;
  /** Ticks the shards simulated (each counted once, by the shard that owns its instrument). */
  ticks = 0;
  private readonly placed = new Map<string, { readonly link: ShardLink; readonly instruments: readonly number[] }>();
  /** Where each strategy's ledger lives: the shard it last ran in, which keeps hearing its outcomes. */
  private readonly homes = new Map<string, ShardLink>();
  private readonly mailboxes = new Map<number, ShardStats['mailboxes']>();
  private readonly options: ShardsOptions;

  constructor(options: ShardsOptions) {
    this.options = options;
    this.links = Array.from({ length: options.count }, (_, index) => new ShardLink({ index, config: options.config, instanceId: options.instanceId, transport: options.transport, log: options.log, onStats: (s) => this.report(index, s), onFatal: options.onFatal }));
  }

  ready(): Promise<void> {
    return Promise.all(this.links.map((l) => l.ready)).then(() => undefined);
  }

  /** The shard that owns an instrument: simulates it, counts its ticks, reports its quotes. */
  shardOf(token: number): number {
    return partitionOf(String(token), this.links.length);
  }

  /** A shard as an actor reference of the pipeline (the main thread's end of it is one). */
  refOf(link: ShardLink): ActorRef<AnyEnvelope> {
    return link as unknown as ActorRef<AnyEnvelope>;
  }

  /**
   * Runs a strategy in the shard of its first instrument. Only the registry's strategies run in a shard
   * (a worker builds the strategy from its type name). `ledger` seeds its ledger there unless that shard
   * already keeps one for it (a restart or reconfiguration in place keeps what the shard knows best);
   * `carry`: the state of the instance it replaces there.
   */
  place(instance: StrategyInstance, namespaces: readonly BrokerNamespace[], ledger: () => LedgerSnapshot, carry: boolean): ShardLink {
    const type = instance.strategy.name;
    if (STRATEGIES.get(type) !== instance.strategy) throw new ConfigError([`strategy '${instance.id}': its type '${type}' is not the registry's, and only the registry's strategies run in worker threads (set workers to 1 to run it)`]);
    const link = this.links[this.shardOf(instance.instruments[0]!)]!;
    const home = this.homes.get(instance.id);
    link.spawn({ id: instance.id, type, params: instance.params, instruments: instance.instruments, live: instance.live, namespaces }, home === link ? undefined : ledger(), carry);
    this.homes.set(instance.id, link);
    this.placed.set(instance.id, { link, instruments: instance.instruments });
    this.placements++;
    return link;
  }

  remove(id: string): void {
    const p = this.placed.get(id);
    if (!p) return;
    this.placed.delete(id);
    p.link.stopStrategy(id);
    this.placements++;
  }

  /** The shard that keeps a strategy's ledger (it hears the strategy's outcomes), if any. */
  homeOf(id: string): ShardLink | undefined {
    return this.homes.get(id);
  }

  /** The instruments the strategies in shard `index` trade. */
  tradedIn(index: number): Set<number> {
    const out = new Set<number>();
    for (const p of this.placed.values()) if (p.link === this.links[index]) for (const t of p.instruments) out.add(t);
    return out;
  }

  /**
   * Tells each shard the simulated market's lanes and which are its own: the instruments it owns, and
   * those its strategies trade (simulated in both shards alike: each instrument has a stream of its own).
   */
  simulate(instruments: readonly Instrument[], sim: { readonly seed: string; readonly volatility: number; readonly base: string; readonly source: string }): void {
    this.links.forEach((link, index) => {
      const traded = this.tradedIn(index);
      const owned = instruments.map((i) => this.shardOf(i.token) === index);
      link.lanes({ ...sim, instruments, owned, mine: instruments.map((i, k) => owned[k]! || traded.has(i.token)) });
    });
  }

  /** Every shard's mailboxes as it last reported them, by actor kind: messages held, in all and in the fullest. */
  forEachMailbox(visit: (kind: ActorKind, total: number, max: number) => void): void {
    for (const list of this.mailboxes.values()) for (const [kind, total, max] of list) visit(kind, total, max);
  }

  /** Stops every shard (its actors drain, its last counters come in) within `ms`. */
  async close(ms: number): Promise<void> {
    await Promise.all(this.links.map((l) => l.stop(ms)));
  }

  /** A shard's report: its counters added to this thread's, its quotes into the price book, its restarts and dead letters into the metrics. */
  private report(index: number, s: ShardStats): void {
    const { stats, probes, prices } = this.options;
    this.ticks += s.ticks;
    for (let o = 0; o < s.quotes.length; o += 7) {
      const q = s.quotes;
      const token = q[o]!;
      const exchangeTs = q[o + 5]!;
      const known = prices.get(token);
      if (known && known.exchangeTs > exchangeTs) continue;
      prices.publish({ instrumentToken: token, last: q[o + 1]!, bid: Number.isNaN(q[o + 2]!) ? undefined : q[o + 2]!, ask: Number.isNaN(q[o + 3]!) ? undefined : q[o + 3]!, volume: q[o + 4]!, exchangeTs, simulated: q[o + 6] === 1 });
    }
    stats.signals += s.signals;
    stats.suppressed += s.suppressed;
    for (const [ns, n] of s.sentTo) stats.sentTo.set(ns, (stats.sentTo.get(ns) ?? 0) + n);
    for (const [id, ticks, signals] of s.strategies) {
      const c = stats.strategy(id);
      c.ticks += ticks;
      c.signals += signals;
    }
    for (let i = 0; i + 1 < s.latencies.length; i += 2) probes.signalMade(s.latencies[i]!, s.latencies[i + 1]!);
    for (const [kind, n] of s.restarts) for (let i = 0; i < n; i++) probes.restarted(kind);
    for (const [topic, n] of s.deadLetters) for (let i = 0; i < n; i++) probes.deadLettered(topic);
    this.mailboxes.set(index, s.mailboxes);
  }
}
