import type { BrokerNamespace } from '../contracts/topics.ts';

export interface TradingSwitches {
  /** Paper-trade every signal (the shadow of every strategy). */
  readonly paperEnabled: boolean;
  /** The global live switch: off means no signal can reach a live client. */
  readonly liveEnabled: boolean;
}

/**
 * Where a strategy's signal goes: paper always (when paper is on), the live broker only when the strategy
 * is enabled for live AND live trading is enabled globally. Pure; the pipeline builds no live path at all
 * when the global switch is off, so this rule is not the only guard.
 */
export function namespacesFor(strategyLive: boolean, switches: TradingSwitches): BrokerNamespace[] {
  const out: BrokerNamespace[] = [];
  if (switches.paperEnabled) out.push('paper');
  if (strategyLive && switches.liveEnabled) out.push('zerodha');
  return out;
}
