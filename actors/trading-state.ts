import type { AnyEnvelope } from '../src/contracts/envelope.ts';
import type { BrokerNamespace } from '../src/contracts/topics.ts';
import type { TradingStates } from '../src/risk/trading-states.ts';
import type { Behaviour } from '../src/runtime/actor-ref.ts';

/** Keeps the strategies' view of every namespace's trading state current, from the risk checkers' events. */
export function tradingStateActor(states: TradingStates): Behaviour<null, AnyEnvelope> {
  return {
    init: () => null,
    receive(state, message) {
      if (message.type === 'trading_state') states.publish(message.broker as BrokerNamespace, message.data);
      return state;
    },
  };
}
