import { createEvent, type AnyEnvelope, type Envelope } from '../src/contracts/envelope.ts';
import { topicsFor, type BrokerNamespace } from '../src/contracts/topics.ts';
import type { ChainStore } from '../src/db/chain-store.ts';
import { derivedId } from '../src/ids.ts';
import type { PriceBook } from '../src/market/price-book.ts';
import type { RiskEngine, StateChange } from '../src/risk/engine.ts';
import type { ActorContext, Behaviour, Output } from '../src/runtime/actor-ref.ts';
import { RISK_DECISION, RISK_REASON_CODE } from '../src/telemetry/attributes.ts';
import type { PipelineStats } from '../src/telemetry/stats.ts';

export interface RiskCheckerEnv {
  readonly prices: PriceBook;
  readonly stats: PipelineStats;
  readonly store: ChainStore;
  /** The verdict of each signal judged today, by chain: what a redelivered signal gets again. */
  readonly verdicts: Map<string, readonly Envelope[]>;
}

/** The verdict on the signal's span: what a trace search for rejections by reason finds. */
function decided(ctx: ActorContext<AnyEnvelope>, verdict: AnyEnvelope): void {
  if (verdict.type === 'validated_signal') ctx.annotate(RISK_DECISION, 'validated');
  else if (verdict.type === 'rejected_signal') {
    ctx.annotate(RISK_DECISION, 'rejected');
    ctx.annotate(RISK_REASON_CODE, verdict.data.reason_code);
  }
}

/**
 * One namespace's risk checker: every raw signal leaves as `validated_signal` (with the original nested)
 * or `rejected_signal` (with its reason code), judged once however often it is delivered: a signal
 * delivered again gets its first verdict again, never a second judgement. Verdicts are recorded in the
 * ledger before they are published (afterBatch), so a crash between the two republishes the recorded
 * verdict. A change of trading state is published as `trading_state`, so strategies stop sending what
 * would be refused. Fills and failures keep the engine's book current. The engine outlives a restart
 * of this shell: limits must not reset because a message failed.
 */
export function riskChecker(ns: BrokerNamespace, engine: RiskEngine, env: RiskCheckerEnv): Behaviour<RiskEngine, AnyEnvelope> {
  const topics = topicsFor(ns);
  const source = `risk/${ns}`;
  const { prices, stats, store, verdicts } = env;
  let savedDay = JSON.stringify(engine.dayState);
  let verdictsDay = engine.tradingDay;
  const announce = (change: StateChange, cause: Envelope, k: number, ctx: ActorContext<AnyEnvelope>): Envelope => {
    ctx.log.warn({ namespace: ns, ...change }, change.cause === 'DAILY_LOSS' ? 'daily loss limit reached: trading state changed' : 'trading state changed');
    const now = ctx.clock.now();
    const data = { ...change, timestamp: new Date(now).toISOString() };
    const event = createEvent({ type: 'trading_state', broker: ns, source, key: ns, data, cause, now, id: derivedId(cause.id, 'state', k) });
    ctx.publish(topics.riskState, event);
    return event;
  };
  return {
    init: () => engine,
    receive(risk, message, ctx) {
      switch (message.type) {
        case 'trading_signal': {
          if (!risk.delivered.first(message.id)) {
            for (const e of verdicts.get(message.correlation_id) ?? []) {
              if (e.type !== 'trading_state') decided(ctx, e as AnyEnvelope);
              ctx.publish(e.type === 'trading_state' ? topics.riskState : e.type === 'validated_signal' ? topics.signalsValidated : topics.signalsRejected, e);
            }
            return risk;
          }
          const signal = message.data;
          const verdict = risk.evaluate(signal, prices.get(signal.instrument_token));
          const out: Envelope[] = verdict.changes.map((c, k) => announce(c, message, k, ctx));
          const now = ctx.clock.now();
          const id = derivedId(message.id, 'verdict');
          if (verdict.ok) {
            stats.count(ns, signal.strategy_id, 'validated');
            const data = { original_signal: signal, validated_quantity: verdict.quantity, validated_price: signal.price, risk_checks: [...verdict.checks], timestamp: signal.timestamp };
            const e = createEvent({ type: 'validated_signal', broker: ns, source, key: message.key, data, cause: message, now, id });
            decided(ctx, e);
            ctx.publish(topics.signalsValidated, e);
            out.push(e);
          } else {
            stats.reject(ns, signal.strategy_id, verdict.denial.code);
            const data = { original_signal: signal, reason_code: verdict.denial.code, reason: verdict.denial.reason, timestamp: signal.timestamp };
            const e = createEvent({ type: 'rejected_signal', broker: ns, source, key: message.key, data, cause: message, now, id });
            decided(ctx, e);
            ctx.publish(topics.signalsRejected, e);
            out.push(e);
          }
          // Yesterday's verdicts are not asked for again (its signals are refused as STALE_DAY).
          if (risk.tradingDay !== verdictsDay) {
            verdicts.clear();
            verdictsDay = risk.tradingDay;
          }
          verdicts.set(message.correlation_id, out);
          return risk;
        }
        case 'order_filled': {
          risk.onFill(message.data).changes.forEach((change, k) => announce(change, message, k, ctx));
          return risk;
        }
        case 'order_failed':
          risk.onFailed(message.data, message.correlation_id);
          return risk;
        case 'risk_command': {
          // Carried out once per command; one delivered again after a restart finds the state it set.
          if (!risk.delivered.first(message.id)) return risk;
          const { command, operator, reason } = message.data;
          ctx.log.warn({ namespace: ns, command, operator, reason }, "operator's command to risk");
          risk.command(command, Date.parse(message.data.timestamp)).forEach((change, k) => announce(change, message, k, ctx));
          return risk;
        }
        default:
          return risk;
      }
    },
    /** Verdicts and the day are durable before anything they caused goes out. */
    async afterBatch(risk, _ctx, outputs: readonly Output[]) {
      const held = await store.record(ns, outputs.map((o) => o.event));
      for (const o of outputs) o.event = held.get(o.event.id) ?? o.event;
      const day = JSON.stringify(risk.dayState);
      if (day !== savedDay) {
        await store.saveDay(ns, risk.dayState);
        savedDay = day;
      }
      return risk;
    },
  };
}
