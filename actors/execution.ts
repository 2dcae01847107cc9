import type { PipelineStats } from '../src/app/stats.ts';
import { createEvent, type AnyEnvelope } from '../src/contracts/envelope.ts';
import { topicsFor } from '../src/contracts/topics.ts';
import type { ExecutionClient } from '../src/execution/client.ts';
import { fromWire } from '../src/market/quote.ts';
import type { Behaviour } from '../src/runtime/actor-ref.ts';

const rupees = (paise: number) => paise / 100;

/**
 * The execution actor for one namespace: hands each validated signal to its client and turns the result
 * into events: `order_placed` then `order_filled` (caused by the placement), or `order_failed` with a
 * reason code. The client returns results; only this actor makes events.
 */
export function executionActor(client: ExecutionClient, stats: PipelineStats): Behaviour<null, AnyEnvelope> {
  const ns = client.namespace;
  const topics = topicsFor(ns);
  const source = `execution/${ns}`;
  return {
    init: () => null,
    async receive(state, message, ctx) {
      if (message.type !== 'validated_signal') return state;
      const signal = message.data.original_signal;
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
      const { total, ...breakdown } = result.charges;
      const fee_breakdown = { brokerage: rupees(breakdown.brokerage), stt: rupees(breakdown.stt), exchange: rupees(breakdown.exchange), gst: rupees(breakdown.gst), sebi: rupees(breakdown.sebi), stamp: rupees(breakdown.stamp) };
      const data = { ...base, order_id: result.orderId, fill_price: rupees(result.fillPrice), fees: rupees(total), fee_breakdown };
      ctx.publish(topics.ordersFilled, createEvent({ type: 'order_filled', broker: ns, source, key: message.key, data, cause: placed, now }));
      stats.fills++;
      stats.strategy(signal.strategy_id).fills++;
      return state;
    },
  };
}
