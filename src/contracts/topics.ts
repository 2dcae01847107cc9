import type { EventType } from './events.ts';

/**
 * The topology, as data: every topic, the one event type it carries, and every consumer role with the
 * topics it reads and where a new consumer group starts. The codec checks types against it and the
 * pipeline starts its consumers from it; nothing else spells a topic name or a consumer group.
 */
export const BROKER_NAMESPACES = ['paper', 'zerodha'] as const;
export type BrokerNamespace = (typeof BROKER_NAMESPACES)[number];

/** The shared market-data namespace: ticks are not owned by any broker. */
export const MARKET_NAMESPACE = 'market' as const;
export type EnvelopeBroker = BrokerNamespace | typeof MARKET_NAMESPACE;

export const MARKET_TICKS = 'market.ticks';

/** Dead letters for messages that never came from a topic (timers, internal commands). */
export const INTERNAL_DEAD_LETTERS = 'internal.dlq';

/** The topic families of each broker namespace (`{ns}.{suffix}`) and the event type each carries. */
export const NAMESPACE_TOPICS = {
  signalsRaw: { suffix: 'signals.raw', type: 'trading_signal' },
  signalsValidated: { suffix: 'signals.validated', type: 'validated_signal' },
  signalsRejected: { suffix: 'signals.rejected', type: 'rejected_signal' },
  ordersSubmitted: { suffix: 'orders.submitted', type: 'order_placed' },
  ordersFilled: { suffix: 'orders.filled', type: 'order_filled' },
  ordersFailed: { suffix: 'orders.failed', type: 'order_failed' },
  pnlSnapshots: { suffix: 'pnl.snapshots', type: 'pnl_snapshot' },
  riskState: { suffix: 'risk.state', type: 'trading_state' },
} as const satisfies Record<string, { suffix: string; type: EventType }>;
export type TopicFamily = keyof typeof NAMESPACE_TOPICS;
export type NamespaceTopics = { readonly [F in TopicFamily]: string };

export function topicsFor(ns: BrokerNamespace): NamespaceTopics {
  const out = {} as Record<TopicFamily, string>;
  for (const [family, t] of Object.entries(NAMESPACE_TOPICS)) out[family as TopicFamily] = `${ns}.${t.suffix}`;
  return out;
}

/** The event type a topic carries, or undefined for a topic outside the topology (a dead-letter topic). */
export function expectedTypeOf(topic: string): EventType | undefined {
  if (topic === MARKET_TICKS) return 'market_tick';
  const dot = topic.indexOf('.');
  if (dot < 0 || !(BROKER_NAMESPACES as readonly string[]).includes(topic.slice(0, dot))) return undefined;
  const suffix = topic.slice(dot + 1);
  for (const t of Object.values(NAMESPACE_TOPICS)) if (t.suffix === suffix) return t.type;
  return undefined;
}

export function dlqOf(topic: string): string {
  return `${topic}.dlq`;
}

export function isDlq(topic: string): boolean {
  return topic.endsWith('.dlq');
}

/** Every topic the system writes, dead-letter topics included: what admin topic creation creates. */
export function allTopics(namespaces: readonly BrokerNamespace[] = BROKER_NAMESPACES): string[] {
  const base = [MARKET_TICKS, ...namespaces.flatMap((ns) => Object.values(topicsFor(ns)))];
  return [...base, ...base.map(dlqOf), INTERNAL_DEAD_LETTERS];
}

/**
 * A topic a role reads: the shared tick topic, or a family of its own namespace, of every namespace,
 * or of the primary one (paper when paper trading is on: the chain each strategy follows).
 */
export type TopicRef = { readonly market: true } | { readonly family: TopicFamily; readonly of?: 'primary' | 'every' };

export interface RoleSpec {
  /** shared: one group per deployment; namespace: one group per broker namespace. */
  readonly scope: 'shared' | 'namespace';
  readonly reads: readonly TopicRef[];
  /** Where a group with no committed offset starts. */
  readonly startAt: 'earliest' | 'latest';
  /** Why it starts there: shown in the README's topology table. */
  readonly why: string;
}

/**
 * Every consumer role. Topics that cause orders are read from the end by a new group: a first deployment
 * (or a new group prefix) must not validate or execute the signals already on the log again. Outcomes are
 * read from the beginning: they rebuild positions, and applying them places nothing.
 */
export const ROLES = {
  'strategy-runner': { scope: 'shared', reads: [{ market: true }], startAt: 'latest', why: 'ticks are live: strategies trade from now' },
  'strategy-outcomes': {
    scope: 'shared',
    reads: [
      { family: 'ordersFilled', of: 'primary' },
      { family: 'signalsRejected', of: 'primary' },
      { family: 'ordersFailed', of: 'primary' },
    ],
    startAt: 'earliest',
    why: 'strategies hear how their signals ended (the paper chain, when paper trading is on); rebuilds what each holds',
  },
  'trading-state': { scope: 'shared', reads: [{ family: 'riskState', of: 'every' }], startAt: 'earliest', why: 'strategies learn whether their account is halted or reducing' },
  risk: { scope: 'namespace', reads: [{ family: 'signalsRaw' }], startAt: 'latest', why: 'a new group must not judge old signals again' },
  'risk-book': { scope: 'namespace', reads: [{ family: 'ordersFilled' }, { family: 'ordersFailed' }], startAt: 'earliest', why: "rebuilds the risk book's positions and P&L" },
  execution: { scope: 'namespace', reads: [{ family: 'signalsValidated' }], startAt: 'latest', why: 'a new group must never execute old signals again' },
  portfolio: { scope: 'namespace', reads: [{ family: 'ordersFilled' }], startAt: 'earliest', why: 'rebuilds positions and cash from every fill' },
} as const satisfies Record<string, RoleSpec>;
export type Role = keyof typeof ROLES;
export type SharedRole = { [R in Role]: (typeof ROLES)[R]['scope'] extends 'shared' ? R : never }[Role];
export type NamespacedRole = Exclude<Role, SharedRole>;

/** The topics `role` reads, for namespace `ns` (namespaced roles) among the active `namespaces` (the primary first). */
export function topicsOfRole(role: Role, namespaces: readonly BrokerNamespace[], ns?: BrokerNamespace): string[] {
  const out: string[] = [];
  for (const ref of ROLES[role].reads as readonly TopicRef[]) {
    if ('market' in ref) {
      out.push(MARKET_TICKS);
      continue;
    }
    const owners = ref.of === 'every' ? namespaces : ref.of === 'primary' ? namespaces.slice(0, 1) : ns ? [ns] : [];
    for (const owner of owners) out.push(topicsFor(owner)[ref.family]);
  }
  return out;
}

/**
 * Each role gets its own consumer group (`<prefix>.<role>`, namespaced roles `<prefix>.<ns>.<role>`), so
 * two roles never share a group and each sees every message it subscribes to.
 */
export function consumerGroup(prefix: string, role: SharedRole): string;
export function consumerGroup(prefix: string, role: NamespacedRole, ns: BrokerNamespace): string;
export function consumerGroup(prefix: string, role: Role, ns?: BrokerNamespace): string {
  return ns ? `${prefix}.${ns}.${role}` : `${prefix}.${role}`;
}
