import type { TradingStateChanged } from '../contracts/events.ts';
import type { BrokerNamespace } from '../contracts/topics.ts';

/**
 * What strategies know of each namespace's trading state, from the `trading_state` events its risk
 * checker publishes: a read view (like the price book) the trading-state actor writes and strategy
 * actors read synchronously, so a halted or reducing account does not spin out signals risk would
 * only refuse.
 */
export class TradingStates {
  private readonly states = new Map<BrokerNamespace, TradingStateChanged>();
  /** Whether any namespace has ever been restricted: until then a strategy need not look (the hot path). */
  restricted = false;

  /** Called by the trading-state actor only; an older day's state never replaces a newer one. */
  publish(ns: BrokerNamespace, change: TradingStateChanged): void {
    const known = this.states.get(ns);
    if (known && (known.trading_day > change.trading_day || (known.trading_day === change.trading_day && known.timestamp > change.timestamp))) return;
    this.states.set(ns, change);
    if (change.state !== 'ACTIVE') this.restricted = true;
  }

  /**
   * The state that applies on trading day `day`: an operator's holds until an operator changes it; one
   * from the loss limit lapses with its day (a new day starts ACTIVE).
   */
  on(ns: BrokerNamespace, day: string): TradingStateChanged | undefined {
    const s = this.states.get(ns);
    return s && (s.trading_day === day || s.cause === 'OPERATOR') ? s : undefined;
  }
}
