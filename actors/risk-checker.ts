import { createEvent, type AnyEnvelope, type Envelope } from '../src/contracts/envelope.ts';
import { topicsFor, type BrokerNamespace } from '../src/contracts/topics.ts';
import type { PriceBook } from '../src/market/price-book.ts';
import type { RiskEngine, StateChange } from '../src/risk/engine.ts';
import type { ActorContext, Behaviour } from '../src/runtime/actor-ref.ts';
import type { PipelineStats } from '../src/telemetry/stats.ts';

/**
 * One namespace's risk checker: every raw signal leaves as `validated_signal` (with the original nested)
 * or `rejected_signal` (with its reason code), once however often it is delivered. A change of trading
 * state is published as `trading_state`, so strategies stop sending what would be refused. Fills and
 * failures keep the engine's book current. The engine outlives a restart of this shell: limits must not
 * reset because a message failed.
 */
export function riskChecker(ns: BrokerNamespace, engine: RiskEngine, prices: PriceBook, stats: PipelineStats): Behaviour<RiskEngine, AnyEnvelope> {
  const topics = topicsFor(ns);
  const source = `risk/${ns}`;
  const announce = (change: StateChange, cause: Envelope, ctx: ActorContext<AnyEnvelope>) => {
    ctx.log.warn({ namespace: ns, ...change }, change.cause === 'DAILY_LOSS' ? 'daily loss limit reached: trading state changed' : 'trading state changed');
    const now = ctx.clock.now();
    const data = { ...change, timestamp: new Date(now).toISOString() };
    ctx.publish(topics.riskState, createEvent({ type: 'trading_state', broker: ns, source, key: ns, data, cause, now }));
  };
  return {
    init: () => engine,
    receive(risk, message, ctx) {
      switch (message.type) {
        case 'trading_signal': {
          if (!risk.delivered.first(message.id)) return risk;
          const signal = message.data;
          const verdict = risk.evaluate(signal, prices.get(signal.instrument_token));
          for (const change of verdict.changes) announce(change, message, ctx);
          const now = ctx.clock.now();
          if (verdict.ok) {
            stats.validated++;
            const data = { original_signal: signal, validated_quantity: verdict.quantity, validated_price: signal.price, risk_checks: [...verdict.checks], timestamp: signal.timestamp };
            ctx.publish(topics.signalsValidated, createEvent({ type: 'validated_signal', broker: ns, source, key: message.key, data, cause: message, now }));
          } else {
            stats.reject(signal.strategy_id, verdict.denial.code);
            const data = { original_signal: signal, reason_code: verdict.denial.code, reason: verdict.denial.reason, timestamp: signal.timestamp };
            ctx.publish(topics.signalsRejected, createEvent({ type: 'rejected_signal', broker: ns, source, key: message.key, data, cause: message, now }));
          }
          return risk;
        }
        case 'order_filled': {
          for (const change of risk.onFill(message.data).changes) announce(change, message, ctx);
          return risk;
        }
        case 'order_failed':
          risk.onFailed(message.data, message.correlation_id);
          return risk;
        default:
          return risk;
      }
    },
  };
}
