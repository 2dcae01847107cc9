import { randomUUID } from 'node:crypto';
import type { PipelineStats } from '../src/app/stats.ts';
import type { TradingSignal } from '../src/contracts/events.ts';
import { createEvent, type AnyEnvelope } from '../src/contracts/envelope.ts';
import { topicsFor, type BrokerNamespace } from '../src/contracts/topics.ts';
import { StrategyError } from '../src/errors.ts';
import type { PriceBook } from '../src/market/price-book.ts';
import { quoteOf, toWire } from '../src/market/quote.ts';
import type { ActorContext, Behaviour } from '../src/runtime/actor-ref.ts';
import type { StrategyInstance } from '../src/strategies/config.ts';
import type { StrategyLedger } from '../src/strategies/ledger.ts';
import { SignalIntentSchema, type SignalIntent, type StrategyContext } from '../src/strategies/sdk.ts';

interface StrategyActorState {
  strategy: unknown;
}

export interface StrategyActorEnv {
  readonly prices: PriceBook;
  readonly stats: PipelineStats;
  /** Where this instance's signals go: paper always, the live namespace only when it may trade live. */
  readonly namespaces: readonly BrokerNamespace[];
  /** What the strategy holds (filled and in flight); outlives a restart of the actor. */
  readonly ledger: StrategyLedger;
}

/**
 * The shell around one strategy instance: hands it its ticks, turns what it asks for into
 * `trading_signal` events (each starting a chain, priced on the quote it saw), and tells it its fills.
 * A class with prototype methods: an idle strategy actor holds two references, not three closures.
 */
export class StrategyBehaviour implements Behaviour<StrategyActorState, AnyEnvelope> {
  private readonly instance: StrategyInstance;
  private readonly env: StrategyActorEnv;
  /** What the strategy sees besides its state: made on the first message, then the same object every tick. */
  private context: StrategyContext | undefined;

  constructor(instance: StrategyInstance, env: StrategyActorEnv) {
    this.instance = instance;
    this.env = env;
  }

  init(): StrategyActorState {
    return { strategy: this.instance.strategy.init(this.instance.params, this.instance.instruments) };
  }

  receive(state: StrategyActorState, message: AnyEnvelope, ctx: ActorContext<AnyEnvelope>): StrategyActorState {
    const { strategy, params, id } = this.instance;
    const { ledger } = this.env;
    const sctx = (this.context ??= { strategyId: id, instruments: this.instance.instruments, position: (t) => ledger.position(t) });
    switch (message.type) {
      case 'market_tick': {
        const result = strategy.onTick(state.strategy, message.data, params, sctx);
        state.strategy = result.state;
        for (const intent of result.signals) this.emit(message, intent, ctx);
        return state;
      }
      case 'order_filled': {
        const f = message.data;
        if (f.strategy_id !== id) return state;
        ledger.filled(message.correlation_id, f.instrument_token, f.signal_type === 'BUY' ? f.quantity : -f.quantity);
        if (strategy.onFill) state.strategy = strategy.onFill(state.strategy, f, params, sctx);
        return state;
      }
      case 'rejected_signal':
      case 'order_failed':
        ledger.refused(message.correlation_id);
        return state;
      default:
        return state;
    }
  }

  private emit(tick: AnyEnvelope & { type: 'market_tick' }, intent: SignalIntent, ctx: ActorContext<AnyEnvelope>): void {
    const { id, instruments } = this.instance;
    const checked = SignalIntentSchema.safeParse(intent);
    if (!checked.success) throw new StrategyError(id, `returned an invalid signal: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const own = intent.instrument_token === tick.data.instrument_token;
    const quote = own ? quoteOf(tick.data) : this.env.prices.get(intent.instrument_token);
    if (!quote) throw new StrategyError(id, `asked to trade instrument ${intent.instrument_token}, which has no known price yet`);
    if (!instruments.includes(intent.instrument_token)) throw new StrategyError(id, `asked to trade instrument ${intent.instrument_token}, which is not one of its instruments`);
    const data: TradingSignal = {
      signal_id: randomUUID(),
      strategy_id: id,
      instrument_token: intent.instrument_token,
      signal_type: intent.signal_type,
      quantity: intent.quantity,
      price: quote.last / 100,
      // Event time: the market time the decision was made at, so a replay is judged as the day was.
      timestamp: tick.data.exchange_timestamp,
      reason: intent.reason,
      quote: toWire(quote),
    };
    let tracked = false;
    for (const ns of this.env.namespaces) {
      const event = createEvent({ type: 'trading_signal', broker: ns, source: `strategy/${id}`, key: id, data, cause: tick, startsChain: true, now: ctx.clock.now() });
      ctx.publish(topicsFor(ns).signalsRaw, event);
      // The paper chain is the one whose outcome the strategy hears (every signal is paper-traded).
      if (!tracked) {
        this.env.ledger.sent(event.id, data.instrument_token, data.signal_type === 'BUY' ? data.quantity : -data.quantity);
        tracked = true;
      }
    }
    this.env.stats.signals++;
    this.env.stats.strategy(id).signals++;
  }
}
