import { createEvent, type AnyEnvelope } from '../src/contracts/envelope.ts';
import type { OrderFilled } from '../src/contracts/events.ts';
import { topicsFor } from '../src/contracts/topics.ts';
import type { ExecutionClient } from '../src/execution/client.ts';
import type { Charges } from '../src/execution/fees.ts';
import { fromWire } from '../src/market/quote.ts';
import { Once } from '../src/once.ts';
import type { Behaviour } from '../src/runtime/actor-ref.ts';
import type { PipelineStats } from '../src/telemetry/stats.ts';

const rupees = (paise: number) => paise / 100;

export function feeBreakdown(c: Charges): OrderFilled['fee_breakdown'] {
  return { brokerage: rupees(c.brokerage), stt: rupees(c.stt), transaction: rupees(c.transaction), ipft: rupees(c.ipft), sebi: rupees(c.sebi), gst: rupees(c.gst), stamp: rupees(c.stamp) };
}

/**
 * The execution actor for one namespace: hands each validated signal to its client, once per signal
 * however often it is delivered, and turns the result into events: `order_placed` then one
 * `order_filled` per fill (caused by the placement), or `order_failed` with a reason code. The client
 * returns results; only this actor makes events.
 */
export function executionActor(client: ExecutionClient, stats: PipelineStats): Behaviour<null, AnyEnvelope> {
  const ns = client.namespace;
  const topics = topicsFor(ns);
  const source = `execution/${ns}`;
  const executed = new Once();
  return {
    init: () => null,
    async receive(state, message, ctx) {
      if (message.type !== 'validated_signal') return state;
      const signal = message.data.original_signal;
      if (!executed.first(signal.signal_id)) {
        ctx.log.debug({ signal: signal.signal_id }, 'validated signal delivered again: already executed');
        return state;
      }
      const quantity = message.data.validated_quantity;
      const quote = signal.quote ? fromWire(signal.instrument_token, signal.quote) : undefined;
      const result = await client.execute({ signal, quantity, quote });
      const base = { strategy_id: signal.strategy_id, instrument_token: signal.instrument_token, signal_type: signal.signal_type, quantity, execution_mode: ns, timestamp: signal.timestamp };
      const now = ctx.clock.now();
      if (result.kind === 'failed') {
        stats.failed++;
        stats.strategy(signal.strategy_id).failed++;
        const data = { ...base, order_id: result.orderId, price: signal.price, reason_code: result.code, error_message: result.message };
        ctx.publish(topics.ordersFailed, createEvent({ type: 'order_failed', broker: ns, source, key: message.key, data, cause: message, now }));
        return state;
      }
      const placed = createEvent({ type: 'order_placed', broker: ns, source, key: message.key, data: { ...base, order_id: result.orderId, price: rupees(result.price), tag: result.tag }, cause: message, now });
      ctx.publish(topics.ordersSubmitted, placed);
      for (const f of result.fills) {
        const data: OrderFilled = { ...base, quantity: f.quantity, order_id: result.orderId, fill_id: f.fillId, fill_price: rupees(f.price), fees: rupees(f.charges.total), fee_breakdown: feeBreakdown(f.charges), fee_schedule: f.charges.schedule };
        ctx.publish(topics.ordersFilled, createEvent({ type: 'order_filled', broker: ns, source, key: message.key, data, cause: placed, now }));
        stats.fills++;
        stats.strategy(signal.strategy_id).fills++;
      }
      return state;
    },
  };
}
