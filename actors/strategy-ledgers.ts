import type { AnyEnvelope } from '../src/contracts/envelope.ts';
import type { Behaviour } from '../src/runtime/actor-ref.ts';
import type { StrategyLedger } from '../src/strategies/ledger.ts';

/**
 * Keeps every strategy's ledger from what the log says it sent and how each signal ended: signals on
 * the primary namespace's raw topic, its fills, rejections and failures. Every instance keeps every
 * strategy's ledger (a few numbers each), so a strategy that moves here knows at once what it holds.
 * `ledgerOf` makes a ledger for a strategy seen for the first time.
 */
export function strategyLedgers(ledgerOf: (strategyId: string) => StrategyLedger): Behaviour<null, AnyEnvelope> {
  return {
    init: () => null,
    receive(state, e) {
      switch (e.type) {
        case 'trading_signal': {
          const s = e.data;
          const ledger = ledgerOf(s.strategy_id);
          ledger.sent(e.correlation_id, s.instrument_token, s.signal_type === 'BUY' ? s.quantity : -s.quantity);
          if (e.causation_id) ledger.madeOn(e.causation_id);
          return state;
        }
        case 'order_filled': {
          const f = e.data;
          ledgerOf(f.strategy_id).filled(e.correlation_id, f.instrument_token, f.signal_type === 'BUY' ? f.quantity : -f.quantity, `${f.order_id}|${f.fill_id}`);
          return state;
        }
        case 'rejected_signal':
          ledgerOf(e.data.original_signal.strategy_id).refused(e.correlation_id);
          return state;
        case 'order_failed':
          ledgerOf(e.data.strategy_id).refused(e.correlation_id);
          return state;
        default:
          return state;
      }
    },
  };
}
