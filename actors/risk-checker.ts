import type { PipelineStats } from '../src/app/stats.ts';
import { createEvent, type AnyEnvelope } from '../src/contracts/envelope.ts';
import { topicsFor, type BrokerNamespace } from '../src/contracts/topics.ts';
import type { PriceBook } from '../src/market/price-book.ts';
import type { Behaviour } from '../src/runtime/actor-ref.ts';
import type { RiskEngine } from '../src/risk/engine.ts';

/**
 * One namespace's risk checker: every raw signal leaves as `validated_signal` (with the original nested)
 * or `rejected_signal` (with its reason code). Fills and failures keep the engine's book current. The
 * engine outlives a restart of this shell: limits must not reset because a message failed.
 */
export function riskChecker(ns: BrokerNamespace, engine: RiskEngine, prices: PriceBook, stats: PipelineStats): Behaviour<RiskEngine, AnyEnvelope> {
  const topics = topicsFor(ns);
  const source = `risk/${ns}`;
  return {
    init: () => engine,
    receive(risk, message, ctx) {
      switch (message.type) {
        case 'trading_signal': {
          const signal = message.data;
          const verdict = risk.evaluate(signal, prices.get(signal.instrument_token));
          if (verdict.change) ctx.log.warn({ namespace: ns, ...verdict.change }, 'daily loss limit reached: trading state changed');
          const now = ctx.clock.now();
          if (verdict.ok) {
            stats.validated++;
            const data = { original_signal: signal, validated_quantity: signal.quantity, validated_price: signal.price, risk_checks: [...verdict.checks], timestamp: signal.timestamp };
            ctx.publish(topics.signalsValidated, createEvent({ type: 'validated_signal', broker: ns, source, key: message.key, data, cause: message, now }));
          } else {
            stats.reject(signal.strategy_id, verdict.denial.code);
            const data = { original_signal: signal, reason_code: verdict.denial.code, reason: verdict.denial.reason, timestamp: signal.timestamp };
            ctx.publish(topics.signalsRejected, createEvent({ type: 'rejected_signal', broker: ns, source, key: message.key, data, cause: message, now }));
          }
          return risk;
        }
        case 'order_filled': {
          const change = risk.onFill(message.data);
          if (change) ctx.log.warn({ namespace: ns, from: change.from, to: change.to, lossPaise: change.lossPaise }, 'daily loss limit reached: trading state changed');
          return risk;
        }
        case 'order_failed':
          risk.onFailed(message.data);
          return risk;
        default:
          return risk;
      }
    },
  };
}
