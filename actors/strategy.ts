import type { MarketTick, SignalKind, TradingSignal } from '../src/contracts/events.ts';
import { TickBlock, type TickChunk } from '../src/fanout/tick-block.ts';
import { createEvent, type AnyEnvelope } from '../src/contracts/envelope.ts';
import { msOf } from '../src/iso-time.ts';
import { topicsFor, type BrokerNamespace } from '../src/contracts/topics.ts';
import { StrategyError } from '../src/errors.ts';
import { derivedId } from '../src/ids.ts';
import { istDate, istMinutes, minutesOf } from '../src/market/market-hours.ts';
import type { PriceBook } from '../src/market/price-book.ts';
import { quoteOf, toWire } from '../src/market/quote.ts';
import { reduces } from '../src/risk/checks.ts';
import type { TradingStates } from '../src/risk/trading-states.ts';
import type { ActorContext, Behaviour, HeldMessage } from '../src/runtime/actor-ref.ts';
import type { StrategyInstance } from '../src/strategies/config.ts';
import type { StrategyLedger } from '../src/strategies/ledger.ts';
import { SignalIntentSchema, type SignalIntent, type StrategyContext } from '../src/strategies/sdk.ts';
import type { Probes } from '../src/telemetry/probes.ts';
import type { PipelineStats, StrategyCounts } from '../src/telemetry/stats.ts';


interface StrategyActorState {
  strategy: unknown;
  /**
   * Live ticks that came while the strategy was warming up, handled once it is warm; unfinished until
   * then, so their offsets are not committed before the strategy has seen them.
   */
  held: HeldMessage<StrategyMessage>[] | undefined;
  /** Per partition, the first live tick to handle: those before it were in the warm-up. */
  from: Map<number, bigint> | undefined;
}

/** The warm-up is done: the strategy's state after the replayed ticks, and where live ticks take over. */
export interface Warmed {
  readonly kind: 'warmed';
  readonly strategy: unknown;
  /** Ticks passed by the live consumer that no owner handled for it: handled now, signals on. */
  readonly catchUp?: readonly Tick[];
  readonly from?: ReadonlyMap<number, bigint>;
}

export type StrategyMessage = AnyEnvelope | TickChunk | Warmed;

export interface StrategyStart {
  /** The state of the instance this one replaces (a reconfiguration that keeps its type and instruments). */
  readonly carried?: unknown;
  /** Hold live ticks until a `warmed` message brings the state the log's recent ticks leave it in. */
  readonly warming?: boolean;
}

export interface StrategyActorEnv {
  readonly prices: PriceBook;
  readonly stats: PipelineStats;
  /** Where this instance's signals go: paper always, the live namespace only when it may trade live. */
  readonly namespaces: readonly BrokerNamespace[];
  /** What the strategy holds (filled and in flight); outlives a restart of the actor. */
  readonly ledger: StrategyLedger;
  /** Each namespace's trading state, as its risk checker last announced it. */
  readonly states: TradingStates;
  /** Intraday square-off time (IST 'HH:MM'), or null for none. */
  readonly squareOffAt: string | null;
  /** The instance running it: its signals' source says which one made them. */
  readonly instanceId: string;
  /** Where the tick-to-signal latency is recorded (the metrics), if anywhere. */
  readonly probes?: Pick<Probes, 'signalMade'>;
}

type Tick = AnyEnvelope & { type: 'market_tick' };

const strategyLongOnly = (i: StrategyInstance) => i.strategy.longOnly === true;

/**
 * The shell around one strategy instance: hands it its ticks, turns what it asks for into
 * `trading_signal` events (each starting a chain, priced on the quote it saw), and tells it its fills.
 * The framework's part, which a strategy does not write: it closes intraday positions at the square-off
 * time and when its account is told to flatten, and it does not send what its account's trading state
 * would refuse (nothing while HALTED; only reducing orders while REDUCING or past the square-off time).
 * A class with prototype methods: an idle strategy actor holds two references, not three closures.
 */
export class StrategyBehaviour implements Behaviour<StrategyActorState, StrategyMessage> {
  readonly instance: StrategyInstance;
  private readonly env: StrategyActorEnv;
  /** What the strategy sees besides its state: made on the first message, then the same object every tick. */
  private context: StrategyContext | undefined;
  private start: StrategyStart | undefined;
  /** The state in hand: what a reconfiguration carries over. */
  current: StrategyActorState | undefined;
  /** Signals made for the tick in hand: the n-th one's id is derived from the tick's, the strategy's and n. */
  private made = 0;
  /** Made on the first tick, not at spawn: a hundred thousand idle strategies should cost little each. */
  private countsOf: StrategyCounts | undefined;

  constructor(instance: StrategyInstance, env: StrategyActorEnv, start?: StrategyStart) {
    this.instance = instance;
    this.env = env;
    this.start = start;
  }

  private get counts(): StrategyCounts {
    return (this.countsOf ??= this.env.stats.strategy(this.instance.id));
  }

  /** Who made a signal: the strategy, and the instance it runs on. */
  private get source(): string {
    return `strategy/${this.instance.id}@${this.env.instanceId}`;
  }

  /** A restart after a failure starts afresh: only the first start carries state or warms up. */
  init(): StrategyActorState {
    const start = this.start;
    this.start = undefined;
    const strategy = start && 'carried' in start ? start.carried : this.instance.strategy.init(this.instance.params, this.instance.instruments);
    return (this.current = { strategy, held: start?.warming ? [] : undefined, from: undefined });
  }

  private get sctx(): StrategyContext {
    const { ledger } = this.env;
    return (this.context ??= { strategyId: this.instance.id, instruments: this.instance.instruments, position: (t) => ledger.position(t) });
  }

  /** Stopped (or restarting) while warming up: the ticks it held finish unseen, as a restart's would. */
  postStop(state: StrategyActorState): void {
    for (const h of state.held ?? []) h.release();
    state.held = undefined;
  }

  /** A replayed tick during warm-up: the strategy's state moves, nothing is sent. */
  warm(state: unknown, tick: MarketTick): unknown {
    return this.instance.strategy.onTick(state, tick, this.instance.params, this.sctx).state;
  }

  receive(state: StrategyActorState, message: StrategyMessage, ctx: ActorContext<StrategyMessage>): StrategyActorState {
    const { strategy, params, id } = this.instance;
    const sctx = this.sctx;
    if ('batched' in message) {
      if (state.held) state.held.push(ctx.hold());
      else this.chunk(state, message, ctx);
      return state;
    }
    if ('kind' in message) {
      const held = state.held ?? [];
      state.strategy = message.strategy;
      state.held = undefined;
      for (const tick of message.catchUp ?? []) this.tick(state, tick, undefined, undefined, ctx);
      state.from = message.from && message.from.size > 0 ? new Map(message.from) : undefined;
      for (const h of held) {
        const m = h.delivery.message;
        if ('batched' in m) {
          h.resume(() => this.chunk(state, m, ctx));
          continue;
        }
        const r = h.delivery.origin?.record;
        h.resume(() => this.tick(state, m as Tick, r?.partition, r?.offset, ctx));
      }
      return state;
    }
    if (message.type === 'market_tick') {
      if (state.held) state.held.push(ctx.hold());
      else {
        const r = ctx.delivery.origin?.record;
        this.tick(state, message, r?.partition, r?.offset, ctx);
      }
      return state;
    }
    switch (message.type) {
      case 'order_filled': {
        // The ledger has it already (the ledger keeper, actors/strategy-ledgers.ts): the strategy's own hook.
        const f = message.data;
        if (f.strategy_id === id && strategy.onFill) state.strategy = strategy.onFill(state.strategy, f, params, sctx);
        return state;
      }
      default:
        return state;
    }
  }

  /**
   * A chunk of ticks handed over in process: each in turn, the cursor moved past it once handled (a
   * throw leaves it on the failing tick, where the restart resumes). A tick's event is made only if a
   * signal names it as its cause.
   */
  private chunk(state: StrategyActorState, chunk: TickChunk, ctx: ActorContext<StrategyMessage>): void {
    const { block, indexes } = chunk;
    for (; chunk.next < indexes.length; chunk.next++) {
      const i = indexes[chunk.next]!;
      this.decide(state, block.ticks[i]!, block, i, ctx);
    }
  }

  private tick(state: StrategyActorState, message: Tick, partition: number | undefined, offset: string | undefined, ctx: ActorContext<StrategyMessage>): void {
    if (state.from && partition !== undefined && offset !== undefined) {
      const from = state.from.get(partition);
      if (from !== undefined) {
        // Handled in the warm-up already: the instance this strategy was taken from got that far.
        if (BigInt(offset) < from) return;
        state.from.delete(partition);
        if (state.from.size === 0) state.from = undefined;
      }
    }
    this.decide(state, message.data, message, 0, ctx);
  }

  /** One tick through the strategy; `cause` (an event, or a block and the tick's place in it) is what its signals name. */
  private decide(state: StrategyActorState, data: MarketTick, cause: Tick | TickBlock, index: number, ctx: ActorContext<StrategyMessage>): void {
    const { strategy, params } = this.instance;
    this.made = 0;
    this.counts.ticks++;
    const result = strategy.onTick(state.strategy, data, params, this.sctx);
    state.strategy = result.state;
    if (this.closeOut(data, cause, index, ctx)) {
      // Closing out (square-off, flatten): the strategy's own signals wait.
      this.env.stats.suppressed += result.signals.length;
      return;
    }
    if (result.signals.length === 0) return;
    const tick = cause instanceof TickBlock ? cause.event(index) : cause;
    for (const intent of result.signals) this.emit(tick, intent, 'strategy', ctx);
  }

  /**
   * Square-off time on a real market, or a namespace told to flatten: close what is held in this tick's
   * instrument. Returns the kind of close sent (or due), so the strategy's own signals wait.
   */
  private closeOut(t: MarketTick, cause: Tick | TickBlock, index: number, ctx: ActorContext<StrategyMessage>): SignalKind | undefined {
    const { states, squareOffAt } = this.env;
    // The common case (a simulated tick, no account ever restricted) decides without parsing a time.
    if ((t.simulated || squareOffAt === null) && !states.restricted) return undefined;
    const at = Date.parse(t.exchange_timestamp);
    const flatten = states.restricted && this.env.namespaces.some((ns) => states.on(ns, istDate(at))?.flatten);
    const squareOff = !t.simulated && squareOffAt !== null && istMinutes(at) >= minutesOf(squareOffAt);
    if (!flatten && !squareOff) return undefined;
    const kind: SignalKind = squareOff ? 'square_off' : 'flatten';
    const held = this.env.ledger.position(t.instrument_token);
    if (held !== 0 && this.instance.instruments.includes(t.instrument_token)) {
      const reason = squareOff ? `intraday square-off at ${this.env.squareOffAt} IST` : 'daily loss limit: flattening';
      const tick = cause instanceof TickBlock ? cause.event(index) : cause;
      this.emit(tick, { instrument_token: t.instrument_token, signal_type: held > 0 ? 'SELL' : 'BUY', quantity: Math.abs(held), reason }, kind, ctx);
    }
    return kind;
  }

  private emit(tick: Tick, intent: SignalIntent, kind: SignalKind, ctx: ActorContext<StrategyMessage>): void {
    const { id, instruments } = this.instance;
    if (kind === 'strategy') {
      const checked = SignalIntentSchema.safeParse(intent);
      if (!checked.success) throw new StrategyError(id, `returned an invalid signal: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    const own = intent.instrument_token === tick.data.instrument_token;
    const quote = own ? quoteOf(tick.data) : this.env.prices.get(intent.instrument_token);
    if (!quote) throw new StrategyError(id, `asked to trade instrument ${intent.instrument_token}, which has no known price yet`);
    if (!instruments.includes(intent.instrument_token)) throw new StrategyError(id, `asked to trade instrument ${intent.instrument_token}, which is not one of its instruments`);
    const delta = intent.signal_type === 'BUY' ? intent.quantity : -intent.quantity;
    const targets = kind === 'strategy' ? this.env.namespaces.filter((ns) => this.allows(ns, tick.data, delta)) : this.env.namespaces;
    if (targets.length === 0) {
      this.env.stats.suppressed++;
      return;
    }
    // Derived, not random: handling the tick again (redelivered after a crash, or by the instance the
    // strategy moved to) makes the same signal, which risk recognises instead of judging it twice.
    const signalId = derivedId(tick.id, id, this.made++);
    const data: TradingSignal = {
      signal_id: signalId,
      strategy_id: id,
      instrument_token: intent.instrument_token,
      signal_type: intent.signal_type,
      quantity: intent.quantity,
      price: quote.last / 100,
      // Event time: the market time the decision was made at, so a replay is judged as the day was.
      timestamp: tick.data.exchange_timestamp,
      reason: intent.reason,
      quote: toWire(quote),
      ...(kind === 'strategy' ? {} : { kind }),
      ...(strategyLongOnly(this.instance) ? { long_only: true as const } : {}),
    };
    let tracked = false;
    const now = ctx.clock.now();
    for (const ns of targets) {
      const event = createEvent({ type: 'trading_signal', broker: ns, source: this.source, key: id, data, cause: tick, startsChain: true, now, id: derivedId(signalId, ns) });
      ctx.publish(topicsFor(ns).signalsRaw, event);
      this.env.stats.sent(ns);
      // The paper chain is the one whose outcome the strategy hears (every signal is paper-traded).
      if (!tracked) {
        this.env.ledger.sent(event.id, data.instrument_token, delta);
        tracked = true;
      }
    }
    this.env.stats.signals++;
    this.counts.signals++;
    // Once per signal, not per tick: a tick that makes no signal records nothing.
    this.env.probes?.signalMade(msOf(tick.ts), now);
  }

  /** Would this namespace's trading state let a strategy order of `delta` through? */
  private allows(ns: BrokerNamespace, tick: MarketTick, delta: number): boolean {
    if (!this.env.states.restricted) return true;
    const s = this.env.states.on(ns, istDate(Date.parse(tick.exchange_timestamp)));
    if (!s || s.state === 'ACTIVE') return true;
    if (s.state === 'HALTED') return false;
    return reduces(this.env.ledger.position(tick.instrument_token), delta);
  }
}
