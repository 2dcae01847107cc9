import { createEvent, type AnyEnvelope, type Envelope } from '../src/contracts/envelope.ts';
import type { OrderFilled, TradingSignal } from '../src/contracts/events.ts';
import { topicsFor, type BrokerNamespace, type NamespaceTopics } from '../src/contracts/topics.ts';
import type { ChainStore } from '../src/db/chain-store.ts';
import type { ExecutionClient } from '../src/execution/client.ts';
import type { Charges } from '../src/execution/fees.ts';
import { derivedId } from '../src/ids.ts';
import { fromWire } from '../src/market/quote.ts';
import { toRupees } from '../src/money.ts';
import { Once } from '../src/once.ts';
import type { Behaviour, Output } from '../src/runtime/actor-ref.ts';
import type { SignalToFill } from '../src/telemetry/signal-to-fill.ts';
import type { PipelineStats } from '../src/telemetry/stats.ts';


export function feeBreakdown(c: Charges): OrderFilled['fee_breakdown'] {
  return { brokerage: toRupees(c.brokerage), stt: toRupees(c.stt), transaction: toRupees(c.transaction), ipft: toRupees(c.ipft), sebi: toRupees(c.sebi), gst: toRupees(c.gst), stamp: toRupees(c.stamp) };
}

export interface ExecutionEnv {
  readonly stats: PipelineStats;
  readonly store: ChainStore;
  /** Signals executed (by signal id), and what each made: what a redelivered validation gets again. */
  readonly executed: Once;
  readonly results: Map<string, readonly Envelope[]>;
  /** Told of each order a broker accepted to fill later, once it is in the ledger: who follows it to its fills. */
  readonly onPlaced?: (placed: Envelope<'order_placed'>) => void;
  /** Where each fill's signal-to-fill latency is recorded (the metrics), if anywhere. */
  readonly latency?: SignalToFill;
}

/** What every order event of a signal says of it (the order's id and price come on top). */
function orderBase(ns: BrokerNamespace, s: TradingSignal, quantity: number) {
  return { signal_id: s.signal_id, strategy_id: s.strategy_id, instrument_token: s.instrument_token, signal_type: s.signal_type, quantity, execution_mode: ns, timestamp: s.timestamp };
}

/**
 * The `order_placed` of a validated signal: its id is derived from the validation, so the order adopted
 * by reconciliation and the one the execution actor records for the same signal are one row.
 */
export function placedEvent(ns: BrokerNamespace, validated: Envelope<'validated_signal'>, orderId: string, tag: string, now: number): Envelope<'order_placed'> {
  const s = validated.data.original_signal;
  const data = { ...orderBase(ns, s, validated.data.validated_quantity), order_id: orderId, price: s.price, tag };
  return createEvent({ type: 'order_placed', broker: ns, source: `execution/${ns}`, key: validated.key, data, cause: validated, now, id: derivedId(validated.id, 'placed') });
}

/** The topic each of the execution actor's events goes to. */
const topicOf = (topics: NamespaceTopics, e: Envelope) => (e.type === 'order_placed' ? topics.ordersSubmitted : e.type === 'order_filled' ? topics.ordersFilled : topics.ordersFailed);

/**
 * The execution actor for one namespace: hands each validated signal to its client, once per signal
 * however often it is delivered (a validation delivered again gets the events of its execution again),
 * and turns the result into events: `order_placed` then one `order_filled` per fill (caused by the
 * placement), or `order_failed` with a reason code. They are recorded in the ledger before they are
 * published. A broker that fills later (Zerodha) gets `order_placed` here and its fills from the order
 * tracker. The client returns results; only this actor makes events.
 */
export function executionActor(client: ExecutionClient, env: ExecutionEnv): Behaviour<null, AnyEnvelope> {
  const ns = client.namespace;
  const topics = topicsFor(ns);
  const source = `execution/${ns}`;
  const { stats, store, executed, results, onPlaced, latency } = env;
  return {
    init: () => null,
    async receive(state, message, ctx) {
      if (message.type !== 'validated_signal') return state;
      const signal = message.data.original_signal;
      if (executed.has(signal.signal_id)) {
        ctx.log.debug({ signal: signal.signal_id }, 'validated signal delivered again: already executed');
        for (const e of results.get(signal.signal_id) ?? []) ctx.publish(topicOf(topics, e), e);
        return state;
      }
      const quantity = message.data.validated_quantity;
      const quote = signal.quote ? fromWire(signal.instrument_token, signal.quote) : undefined;
      // Marked executed only with a result in hand: a client that threw (an outage) is asked again.
      const result = await client.execute({ signal, quantity, quote });
      executed.first(signal.signal_id);
      const base = orderBase(ns, signal, quantity);
      const now = ctx.clock.now();
      const out: Envelope[] = [];
      if (result.kind === 'failed') {
        stats.fail(ns, signal.strategy_id, result.code);
        const data = { ...base, order_id: result.orderId, price: signal.price, reason_code: result.code, error_message: result.message };
        out.push(createEvent({ type: 'order_failed', broker: ns, source, key: message.key, data, cause: message, now, id: derivedId(message.id, 'failed') }));
      } else {
        const placed = placedEvent(ns, message, result.orderId, result.tag, now);
        out.push(placed);
        for (const f of result.kind === 'filled' ? result.fills : []) {
          const data: OrderFilled = { ...base, quantity: f.quantity, order_id: result.orderId, fill_id: f.fillId, fill_price: toRupees(f.price), fees: toRupees(f.charges.total), fee_breakdown: feeBreakdown(f.charges), fee_schedule: f.charges.schedule };
          out.push(createEvent({ type: 'order_filled', broker: ns, source, key: message.key, data, cause: placed, now, id: derivedId(placed.id, 'fill', f.fillId) }));
          stats.count(ns, signal.strategy_id, 'fills');
          latency?.filled(message.correlation_id, now);
        }
      }
      // Filled or failed here: nothing more of it is to come (a placed order's fills come from its tracker).
      if (result.kind !== 'placed') latency?.ended(message.correlation_id);
      for (const e of out) ctx.publish(topicOf(topics, e), e);
      results.set(signal.signal_id, out);
      return state;
    },
    /** Orders, fills and failures are in the ledger before anything hears of them. */
    async afterBatch(state, _ctx, outputs: readonly Output[]) {
      const held = await store.record(ns, outputs.map((o) => o.event));
      for (const o of outputs) {
        o.event = held.get(o.event.id) ?? o.event;
        if (onPlaced && o.event.type === 'order_placed') onPlaced(o.event as Envelope<'order_placed'>);
      }
      return state;
    },
  };
}
