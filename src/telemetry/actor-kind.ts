import { BROKER_NAMESPACES, ROLES } from '../contracts/topics.ts';

/**
 * What kind of actor a cell is, from the name its supervisor gave it: the label of the restart and
 * mailbox metrics. Bounded by construction: a strategy is 'strategy' and a price cache 'price-cache',
 * never one value per strategy id or instrument token; a name this table does not know is 'other'.
 */
export type ActorKind =
  | 'consumer'
  | 'strategy'
  | 'strategy-host'
  | 'price-cache'
  | 'trading-state'
  | 'strategy-ledgers'
  | 'risk'
  | 'execution'
  | 'portfolio'
  | 'order-tracker'
  | 'producer'
  | 'dead-letter'
  | 'kite-feed'
  | 'supervisor'
  | 'other';

/** The cells of fixed name (src/app/pipeline.ts, chain.ts, actor-system.ts, kite-feed.ts, zerodha-venue.ts). */
const FIXED: Readonly<Record<string, ActorKind>> = {
  'trading-state': 'trading-state',
  'strategy-ledgers': 'strategy-ledgers',
  risk: 'risk',
  execution: 'execution',
  portfolio: 'portfolio',
  orders: 'order-tracker',
  producer: 'producer',
  'dead-letters': 'dead-letter',
  ticker: 'kite-feed',
};

/** Consumer cells are named `<role>-in` (per instance) or `<namespace>-<role>-in` (the chain's). */
const CONSUMERS = new Set(Object.keys(ROLES).flatMap((role) => [`${role}-in`, ...BROKER_NAMESPACES.map((ns) => `${ns}-${role}-in`)]));

/** The kind of the cell `name` under the supervisor named `supervisor`. */
export function actorKind(supervisor: string, name: string): ActorKind {
  if (CONSUMERS.has(name)) return 'consumer';
  // Strategies are named by the user: anything under their supervisor but the host is one.
  if (supervisor === 'strategies') return name === 'strategy-host' ? 'strategy-host' : 'strategy';
  if (supervisor === 'market' && name.startsWith('price-')) return 'price-cache';
  return FIXED[name] ?? 'other';
}
