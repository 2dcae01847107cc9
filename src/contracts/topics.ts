/**
 * The one place that spells topic names and consumer groups. Everything else asks here.
 */
export const BROKER_NAMESPACES = ['paper', 'zerodha'] as const;
export type BrokerNamespace = (typeof BROKER_NAMESPACES)[number];

/** The shared market-data namespace: ticks are not owned by any broker. */
export const MARKET_NAMESPACE = 'market' as const;
export type EnvelopeBroker = BrokerNamespace | typeof MARKET_NAMESPACE;

export const MARKET_TICKS = 'market.ticks';

/** Dead letters for messages that never came from a topic (timers, internal commands). */
export const INTERNAL_DEAD_LETTERS = 'internal.dlq';

export interface NamespaceTopics {
  readonly signalsRaw: string;
  readonly signalsValidated: string;
  readonly signalsRejected: string;
  readonly ordersSubmitted: string;
  readonly ordersFilled: string;
  readonly ordersFailed: string;
  readonly pnlSnapshots: string;
}

export function topicsFor(ns: BrokerNamespace): NamespaceTopics {
  return {
    signalsRaw: `${ns}.signals.raw`,
    signalsValidated: `${ns}.signals.validated`,
    signalsRejected: `${ns}.signals.rejected`,
    ordersSubmitted: `${ns}.orders.submitted`,
    ordersFilled: `${ns}.orders.filled`,
    ordersFailed: `${ns}.orders.failed`,
    pnlSnapshots: `${ns}.pnl.snapshots`,
  };
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
 * Service roles that consume. Each gets its own consumer group (`<prefix>.<role>`, namespaced roles
 * `<prefix>.<ns>.<role>`), so two roles never share a group and each sees every message it subscribes to.
 */
export const SHARED_ROLES = ['strategy-runner', 'strategy-fills'] as const;
export const NAMESPACED_ROLES = ['risk', 'risk-book', 'execution', 'portfolio'] as const;
export type SharedRole = (typeof SHARED_ROLES)[number];
export type NamespacedRole = (typeof NAMESPACED_ROLES)[number];

export function consumerGroup(prefix: string, role: SharedRole): string;
export function consumerGroup(prefix: string, role: NamespacedRole, ns: BrokerNamespace): string;
export function consumerGroup(prefix: string, role: SharedRole | NamespacedRole, ns?: BrokerNamespace): string {
  return ns ? `${prefix}.${ns}.${role}` : `${prefix}.${role}`;
}
