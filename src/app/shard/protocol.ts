import type { TradingStateChanged } from '../../contracts/events.ts';
import type { AnyEnvelope } from '../../contracts/envelope.ts';
import type { BrokerNamespace } from '../../contracts/topics.ts';
import type { Config } from '../../config/schema.ts';
import type { Instrument } from '../../market/instruments.ts';
import type { LedgerSnapshot } from '../../strategies/ledger.ts';
import type { ActorKind } from '../../telemetry/actor-kind.ts';

/**
 * What the main thread and a shard (a worker thread running some instruments' price caches and
 * strategies) say to each other. Ticks travel as numbers (tick-codec.ts), records as JSON text; the
 * rest is small and rare enough to be cloned.
 */

/** What a shard is started with. */
export interface ShardData {
  readonly index: number;
  readonly config: Config;
  readonly instanceId: string;
}

/** A strategy to run in a shard: a registry type and parameters already checked by the main thread. */
export interface ShardStrategy {
  readonly id: string;
  readonly type: string;
  readonly params: unknown;
  readonly instruments: readonly number[];
  readonly live: boolean;
  /** Where its signals go (paper always; a live namespace only when it may trade live). */
  readonly namespaces: readonly BrokerNamespace[];
}

/** The stub of a tick event that already exists (it came through the log): its id and time are kept. */
export interface TickEventStub {
  readonly id: string;
  readonly ts: string;
  readonly source: string;
  readonly version: number;
}

/** The simulated market as a shard runs its share of it (src/app/shard/shard-sim.ts). */
export interface SimLanes {
  readonly seed: string;
  readonly volatility: number;
  /** Every lane of the market, in the main thread's order (new ones last). */
  readonly instruments: readonly Instrument[];
  /** Per lane: this shard makes its ticks (an instrument it owns, or one its strategies trade). */
  readonly mine: readonly boolean[];
  /** Per lane: this shard owns it (counts its ticks, reports its quotes). */
  readonly owned: readonly boolean[];
  /** The run's id base: tick g's event id is tickIdAt(base, g) in every shard. */
  readonly base: string;
  readonly source: string;
}

export type ToShard =
  | {
      readonly kind: 'ticks';
      readonly seq: number;
      /** The block's publish time and feed, and its id base: the shard names each tick's event as the main thread would. */
      readonly at: number;
      readonly source: string;
      readonly base: string;
      /** Each tick's place in the main thread's block. */
      readonly places: Int32Array;
      readonly numbers: Float64Array;
      readonly strings: readonly string[];
      /** Ticks that came as events (through the log): their events, one per tick. */
      readonly events?: readonly TickEventStub[];
    }
  /** `ledger`: what seeds its ledger; absent, the shard keeps the one it has for the strategy. */
  | { readonly kind: 'spawn'; readonly strategy: ShardStrategy; readonly ledger: LedgerSnapshot | undefined; readonly carry: boolean }
  | { readonly kind: 'stop'; readonly id: string }
  /** Outcomes of strategies that run in this shard (their ledgers), and fills for strategies with an onFill hook. */
  | { readonly kind: 'outcomes'; readonly events: readonly AnyEnvelope[] }
  | { readonly kind: 'state'; readonly ns: BrokerNamespace; readonly change: TradingStateChanged }
  | { readonly kind: 'sent'; readonly id: number }
  | { readonly kind: 'send-failed'; readonly id: number; readonly message: string }
  | { readonly kind: 'lanes'; readonly lanes: SimLanes }
  /** Make and publish the market's ticks `from` to `to` (exclusive) in simulated time; answered 'stepped'. */
  | { readonly kind: 'step'; readonly from: number; readonly to: number; readonly start: number; readonly ticksPerSecond: number }
  /** Make them now and hold them (answered 'prepared'); 'go' publishes what is held (answered 'stepped'). */
  | { readonly kind: 'prepare'; readonly from: number; readonly to: number; readonly start: number; readonly ticksPerSecond: number }
  | { readonly kind: 'go' }
  /** Simulate in real time until 'halt'. */
  | { readonly kind: 'run'; readonly ticksPerSecond: number }
  | { readonly kind: 'halt' }
  /** Drain and stop within `ms` (the main thread ends the thread after its own budget). */
  | { readonly kind: 'shutdown'; readonly ms: number };

/** A record a shard publishes, as text. */
export interface WireRecord {
  readonly topic: string;
  readonly key: string;
  readonly headers: Record<string, string>;
  readonly json: string;
}

/** Counters a shard's actors moved since its last report, and the tick-to-signal latencies it saw. */
export interface ShardStats {
  readonly signals: number;
  readonly suppressed: number;
  readonly sentTo: ReadonlyArray<readonly [BrokerNamespace, number]>;
  /** [strategy id, ticks, signals] */
  readonly strategies: ReadonlyArray<readonly [string, number, number]>;
  /** Pairs of (tick time, signal time), ms. */
  readonly latencies: readonly number[];
  /** Ticks of instruments this shard owns that it simulated. */
  readonly ticks: number;
  /** Quotes of its own instruments that changed: 7 numbers each (token, last, bid, ask, volume, exchange time, simulated), paise; NaN for no bid or ask. */
  readonly quotes: Float64Array;
  /** Restarts by actor kind, and dead letters by topic, since the last report. */
  readonly restarts: ReadonlyArray<readonly [ActorKind, number]>;
  readonly deadLetters: ReadonlyArray<readonly [string, number]>;
  /** Its mailboxes now, by actor kind: messages held in all of them, and in the fullest. */
  readonly mailboxes: ReadonlyArray<readonly [ActorKind, number, number]>;
}

export type FromShard =
  | { readonly kind: 'ready' }
  | { readonly kind: 'done'; readonly seq: number }
  | { readonly kind: 'stepped' }
  | { readonly kind: 'prepared' }
  | { readonly kind: 'send'; readonly id: number; readonly records: readonly WireRecord[] }
  | ({ readonly kind: 'stats' } & ShardStats)
  | { readonly kind: 'fatal'; readonly name: string; readonly message: string; readonly stack: string }
  | { readonly kind: 'stopped' };
