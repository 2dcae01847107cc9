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
/** The deployment's own control events (strategy changes): no broker's. */
export const CONTROL_NAMESPACE = 'control' as const;
export type EnvelopeBroker = BrokerNamespace | typeof MARKET_NAMESPACE | typeof CONTROL_NAMESPACE;

export const MARKET_TICKS = 'market.ticks';
/** Strategy changes, keyed by strategy id: its partitions are how instances split the strategies. */
export const CONTROL_STRATEGIES = 'control.strategies';

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
  riskCommands: { suffix: 'risk.commands', type: 'risk_command' },
  /** A live broker's only: its books against the ledger, and paper against live. */
  reconciliation: { suffix: 'reconciliation', type: 'broker_reconciliation', live: true },
  divergence: { suffix: 'divergence', type: 'chain_divergence', live: true },
} as const satisfies Record<string, { suffix: string; type: EventType; live?: true }>;
export type TopicFamily = keyof typeof NAMESPACE_TOPICS;
export type NamespaceTopics = { readonly [F in TopicFamily]: string };

/** Each namespace's topic names, made once: actors ask for them on every event they publish. */
const TOPICS_OF = new Map<BrokerNamespace, NamespaceTopics>();

export function topicsFor(ns: BrokerNamespace): NamespaceTopics {
  let topics = TOPICS_OF.get(ns);
  if (!topics) {
    const out = {} as Record<TopicFamily, string>;
    for (const [family, t] of Object.entries(NAMESPACE_TOPICS)) out[family as TopicFamily] = `${ns}.${t.suffix}`;
    TOPICS_OF.set(ns, (topics = Object.freeze(out)));
  }
  return topics;
}

/** Each topic's event type, worked out once per topic: every record a consumer takes asks. */
const TYPE_OF = new Map<string, EventType | undefined>();

/** The event type a topic carries, or undefined for a topic outside the topology (a dead-letter topic). */
export function expectedTypeOf(topic: string): EventType | undefined {
  if (TYPE_OF.has(topic)) return TYPE_OF.get(topic);
  const type = typeOfTopic(topic);
  if (TYPE_OF.size < 10_000) TYPE_OF.set(topic, type);
  return type;
}

function typeOfTopic(topic: string): EventType | undefined {
  if (topic === MARKET_TICKS) return 'market_tick';
  if (topic === CONTROL_STRATEGIES) return 'strategy_changed';
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
  const families = (ns: BrokerNamespace) => (Object.keys(NAMESPACE_TOPICS) as TopicFamily[]).filter((f) => ns !== 'paper' || !('live' in NAMESPACE_TOPICS[f]));
  const base = [MARKET_TICKS, CONTROL_STRATEGIES, ...namespaces.flatMap((ns) => families(ns).map((f) => topicsFor(ns)[f]))];
  return [...base, ...base.map(dlqOf), INTERNAL_DEAD_LETTERS];
}

/**
 * A topic a role reads: the shared tick topic, the strategy control topic, or a family of its own
 * namespace, of every namespace, or of the primary one (paper when paper trading is on: the chain each
 * strategy follows).
 */
export type TopicRef = { readonly market: true } | { readonly control: true } | { readonly family: TopicFamily; readonly of?: 'primary' | 'every' };

export interface RoleSpec {
  /**
   * instance: a group per instance (`<prefix>.<role>.<instance>`), so every instance sees every record;
   * shared: one group per deployment, its partitions split among the instances; chain: one group per
   * broker namespace, consumed only by the instance holding that namespace's chain lease.
   */
  readonly scope: 'instance' | 'shared' | 'chain';
  readonly reads: readonly TopicRef[];
  /** Where a group with no committed offset starts. */
  readonly startAt: 'earliest' | 'latest';
  /** false: never commits, so every start reads its topics again from `startAt` (state rebuilt from the log). */
  readonly commits: boolean;
  /** Why: shown in the README's topology table. */
  readonly why: string;
}

/**
 * Every consumer role. Topics that cause orders are read from the end by a new group: a first deployment
 * (or a new group prefix) must not validate or execute the signals already on the log again. What
 * rebuilds state is read from the beginning: applying it again places nothing.
 */
export const ROLES = {
  'strategy-runner': { scope: 'instance', reads: [{ market: true }], startAt: 'latest', commits: true, why: "ticks are live: this instance's strategies trade from now (a restart resumes where it stopped)" },
  'strategy-host': { scope: 'shared', reads: [{ control: true }], startAt: 'earliest', commits: true, why: 'the partitions an instance is assigned say which strategies it runs; their changes are applied there' },
  'strategy-outcomes': {
    scope: 'instance',
    reads: [
      { family: 'signalsRaw', of: 'primary' },
      { family: 'ordersFilled', of: 'primary' },
      { family: 'signalsRejected', of: 'primary' },
      { family: 'ordersFailed', of: 'primary' },
    ],
    startAt: 'earliest',
    commits: false,
    why: 'what every strategy sent and how it ended (the paper chain, when paper trading is on): rebuilds what each holds at every start',
  },
  'trading-state': { scope: 'instance', reads: [{ family: 'riskState', of: 'every' }], startAt: 'earliest', commits: false, why: 'strategies learn whether their account is halted or reducing' },
  activity: {
    scope: 'instance',
    reads: [
      { family: 'signalsRaw', of: 'every' },
      { family: 'signalsRejected', of: 'every' },
      { family: 'ordersSubmitted', of: 'every' },
      { family: 'ordersFilled', of: 'every' },
      { family: 'ordersFailed', of: 'every' },
      { family: 'riskState', of: 'every' },
      { family: 'riskCommands', of: 'every' },
    ],
    startAt: 'latest',
    commits: true,
    why: "the dashboard's recent signals, orders, fills, rejections and state changes, on every instance",
  },
  risk: { scope: 'chain', reads: [{ family: 'signalsRaw' }, { family: 'riskCommands' }], startAt: 'latest', commits: true, why: "a new group must not judge old signals again (nor carry out an old operator's command)" },
  'risk-book': { scope: 'chain', reads: [{ family: 'ordersFilled' }, { family: 'ordersFailed' }], startAt: 'earliest', commits: true, why: "keeps the risk book's positions and P&L (rebuilt from the ledger at start)" },
  execution: { scope: 'chain', reads: [{ family: 'signalsValidated' }], startAt: 'latest', commits: true, why: 'a new group must never execute old signals again' },
  portfolio: { scope: 'chain', reads: [{ family: 'ordersFilled' }], startAt: 'earliest', commits: true, why: 'positions and cash from every fill (rebuilt from the ledger at start)' },
} as const satisfies Record<string, RoleSpec>;
export type Role = keyof typeof ROLES;
export type ChainRole = { [R in Role]: (typeof ROLES)[R]['scope'] extends 'chain' ? R : never }[Role];
export type InstanceRole = { [R in Role]: (typeof ROLES)[R]['scope'] extends 'instance' ? R : never }[Role];
export type SharedRole = Exclude<Role, ChainRole>;

/** The topics `role` reads, for namespace `ns` (chain roles) among the active `namespaces` (the primary first). */
export function topicsOfRole(role: Role, namespaces: readonly BrokerNamespace[], ns?: BrokerNamespace): string[] {
  const out: string[] = [];
  for (const ref of ROLES[role].reads as readonly TopicRef[]) {
    if ('market' in ref) {
      out.push(MARKET_TICKS);
      continue;
    }
    if ('control' in ref) {
      out.push(CONTROL_STRATEGIES);
      continue;
    }
    const owners = ref.of === 'every' ? namespaces : ref.of === 'primary' ? namespaces.slice(0, 1) : ns ? [ns] : [];
    for (const owner of owners) out.push(topicsFor(owner)[ref.family]);
  }
  return out;
}

/**
 * Each role gets its own consumer group, so two roles never share one and each sees every message it
 * subscribes to: `<prefix>.<role>` (shared), `<prefix>.<role>.<instance>` (per instance),
 * `<prefix>.<ns>.<role>` (chain roles).
 */
export function consumerGroup(prefix: string, role: Role, owner?: { readonly ns?: BrokerNamespace; readonly instance?: string }): string {
  const scope = ROLES[role].scope;
  if (scope === 'chain') {
    if (!owner?.ns) throw new Error(`the ${role} group needs a namespace`);
    return `${prefix}.${owner.ns}.${role}`;
  }
  if (scope === 'instance') {
    if (!owner?.instance) throw new Error(`the ${role} group needs an instance id`);
    return `${prefix}.${role}.${owner.instance}`;
  }
  return `${prefix}.${role}`;
}
