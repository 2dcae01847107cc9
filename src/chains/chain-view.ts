import type { AnyEnvelope } from '../contracts/envelope.ts';
import type { TradingSignal } from '../contracts/events.ts';
import { BROKER_NAMESPACES, topicsFor, type BrokerNamespace } from '../contracts/topics.ts';

/**
 * A signal's chain as read back from the log or the ledger, hop by hop, with the time each hop took:
 * signal -> risk verdict -> order placed -> fill(s) or failure, per namespace (paper and live side by
 * side: one strategy signal is a chain in each namespace it was sent to). Pure: events in, a view out,
 * and the view as text.
 */

export type HopStage = 'signal' | 'verdict' | 'order' | 'fill' | 'failure';
export type ChainEventType = 'trading_signal' | 'validated_signal' | 'rejected_signal' | 'order_placed' | 'order_filled' | 'order_failed';
export type ChainOutcome = 'signalled' | 'rejected' | 'validated' | 'placed' | 'partly_filled' | 'filled' | 'failed';

export interface ChainHop {
  readonly stage: HopStage;
  readonly type: ChainEventType;
  readonly topic: string;
  readonly eventId: string;
  /** The envelope's time (ISO); null for a signal known only from its verdict (the ledger keeps no signal envelope). */
  readonly ts: string | null;
  /** ms since the namespace's previous hop with a time; null for the first, or when either has none. */
  readonly sincePreviousMs: number | null;
  /** ms since the signal; null when the signal's time is not known. */
  readonly sinceSignalMs: number | null;
  /** What happened, in words: "validated 5 @ 2500.5", "rejected MAX_POSITION: ...", "5 @ 2500.6, fees 12.34". */
  readonly detail: string;
}

export interface NamespaceChain {
  readonly namespace: BrokerNamespace;
  /** This namespace's chain: its signal event's id. */
  readonly correlationId: string;
  readonly hops: readonly ChainHop[];
  readonly outcome: ChainOutcome;
  readonly decision: { readonly decision: 'validated' | 'rejected'; readonly reasonCode: string | null; readonly reason: string | null } | null;
  /** Quantity filled, of the order's. */
  readonly filled: number;
  /** ms from the signal to the last hop; null when the signal's time is not known. */
  readonly totalMs: number | null;
}

export interface ChainView {
  /** The id asked for: a chain's correlation id, or the signal id the namespaces' chains share. */
  readonly asked: string;
  readonly signalId: string | null;
  readonly strategyId: string | null;
  readonly instrumentToken: number | null;
  readonly side: 'BUY' | 'SELL' | null;
  readonly quantity: number | null;
  /** In namespace order (paper first), only those the signal reached. */
  readonly namespaces: readonly NamespaceChain[];
}

const CHAIN_TYPES: ReadonlySet<string> = new Set<ChainEventType>(['trading_signal', 'validated_signal', 'rejected_signal', 'order_placed', 'order_filled', 'order_failed']);
type ChainEnvelope = Extract<AnyEnvelope, { type: ChainEventType }>;

export const isChainEvent = (e: AnyEnvelope): e is ChainEnvelope => CHAIN_TYPES.has(e.type);

/** The strategy signal an event of a chain is about (shared by that signal's chains in every namespace). */
export function signalIdOf(e: AnyEnvelope): string | null {
  switch (e.type) {
    case 'trading_signal':
      return e.data.signal_id;
    case 'validated_signal':
    case 'rejected_signal':
      return e.data.original_signal.signal_id;
    case 'order_placed':
    case 'order_filled':
    case 'order_failed':
      return e.data.signal_id ?? null;
    default:
      return null;
  }
}

const STAGE: Record<ChainEventType, HopStage> = { trading_signal: 'signal', validated_signal: 'verdict', rejected_signal: 'verdict', order_placed: 'order', order_filled: 'fill', order_failed: 'failure' };
const ORDER: Record<HopStage, number> = { signal: 0, verdict: 1, order: 2, fill: 3, failure: 4 };
const FAMILY = { trading_signal: 'signalsRaw', validated_signal: 'signalsValidated', rejected_signal: 'signalsRejected', order_placed: 'ordersSubmitted', order_filled: 'ordersFilled', order_failed: 'ordersFailed' } as const;

function detailOf(e: ChainEnvelope): string {
  switch (e.type) {
    case 'trading_signal':
      return `${e.data.signal_type} ${e.data.quantity} @ ${e.data.price}${e.data.reason ? ` (${e.data.reason})` : ''}`;
    case 'validated_signal':
      return `validated ${e.data.validated_quantity} @ ${e.data.validated_price}`;
    case 'rejected_signal':
      return `rejected ${e.data.reason_code}: ${e.data.reason}`;
    case 'order_placed':
      return `order ${e.data.order_id}: ${e.data.quantity} @ ${e.data.price}`;
    case 'order_filled':
      return `fill ${e.data.fill_id}: ${e.data.quantity} @ ${e.data.fill_price}, fees ${e.data.fees}`;
    case 'order_failed':
      return `failed ${e.data.reason_code}: ${e.data.error_message}`;
  }
}

/** The hops of one namespace's chain, in causal order (fills by time), each event once. */
function namespaceChain(ns: BrokerNamespace, events: readonly ChainEnvelope[]): NamespaceChain {
  const byId = new Map<string, ChainEnvelope>();
  for (const e of events) if (!byId.has(e.id)) byId.set(e.id, e);
  const sorted = [...byId.values()].sort((a, b) => ORDER[STAGE[a.type]] - ORDER[STAGE[b.type]] || Date.parse(a.ts) - Date.parse(b.ts) || a.id.localeCompare(b.id));
  const topics = topicsFor(ns);
  const signal = sorted.find((e) => e.type === 'trading_signal');
  const verdict = sorted.find((e) => e.type === 'validated_signal' || e.type === 'rejected_signal');
  const correlationId = signal?.id ?? sorted[0]!.correlation_id;
  type Raw = { stage: HopStage; type: ChainEventType; topic: string; eventId: string; ts: string | null; detail: string };
  const raw: Raw[] = sorted.map((e) => ({ stage: STAGE[e.type], type: e.type, topic: topics[FAMILY[e.type]], eventId: e.id, ts: e.ts, detail: detailOf(e) }));
  // The ledger keeps verdicts with their signal nested, not the signal's envelope: shown from the verdict, untimed.
  if (!signal && verdict && (verdict.type === 'validated_signal' || verdict.type === 'rejected_signal')) {
    const s: TradingSignal = verdict.data.original_signal;
    raw.unshift({ stage: 'signal', type: 'trading_signal', topic: topics.signalsRaw, eventId: verdict.causation_id ?? verdict.correlation_id, ts: null, detail: `${s.signal_type} ${s.quantity} @ ${s.price} (signal envelope not in the ledger; market time ${s.timestamp})` });
  }
  const signalAt = signal ? Date.parse(signal.ts) : null;
  let previous: number | null = null;
  const hops: ChainHop[] = raw.map((h, i) => {
    const at = h.ts === null ? null : Date.parse(h.ts);
    const hop = { ...h, sincePreviousMs: i === 0 || at === null || previous === null ? null : at - previous, sinceSignalMs: at === null || signalAt === null ? null : at - signalAt };
    previous = at;
    return hop;
  });
  const placed = sorted.find((e) => e.type === 'order_placed');
  const fills = sorted.filter((e) => e.type === 'order_filled');
  const failed = sorted.some((e) => e.type === 'order_failed');
  const filled = fills.reduce((n, f) => n + f.data.quantity, 0);
  const ordered = placed?.data.quantity ?? (verdict?.type === 'validated_signal' ? verdict.data.validated_quantity : 0);
  const outcome: ChainOutcome =
    verdict?.type === 'rejected_signal' ? 'rejected' : fills.length > 0 ? (filled >= ordered ? 'filled' : 'partly_filled') : failed ? 'failed' : placed ? 'placed' : verdict ? 'validated' : 'signalled';
  const last = hops.at(-1)!;
  const decision = !verdict ? null : verdict.type === 'validated_signal' ? { decision: 'validated' as const, reasonCode: null, reason: null } : { decision: 'rejected' as const, reasonCode: verdict.data.reason_code, reason: verdict.data.reason };
  return { namespace: ns, correlationId, hops, outcome, decision, filled, totalMs: last.sinceSignalMs };
}

/**
 * The view of the chains among `events` (any order, duplicates allowed: a log read at least once),
 * grouped by namespace; undefined when none of them is a chain event. Events that are not of a chain
 * (ticks, snapshots, state changes) are ignored.
 */
export function chainView(asked: string, events: readonly AnyEnvelope[]): ChainView | undefined {
  const chain = events.filter(isChainEvent);
  if (chain.length === 0) return undefined;
  const namespaces: NamespaceChain[] = [];
  for (const ns of BROKER_NAMESPACES) {
    const own = chain.filter((e) => e.broker === ns);
    if (own.length > 0) namespaces.push(namespaceChain(ns, own));
  }
  if (namespaces.length === 0) return undefined;
  const signal = signalOf(chain);
  return { asked, signalId: signal?.signal_id ?? null, strategyId: signal?.strategy_id ?? null, instrumentToken: signal?.instrument_token ?? null, side: signal?.signal_type ?? null, quantity: signal?.quantity ?? null, namespaces };
}

function signalOf(events: readonly ChainEnvelope[]): TradingSignal | undefined {
  for (const e of events) {
    if (e.type === 'trading_signal') return e.data;
    if (e.type === 'validated_signal' || e.type === 'rejected_signal') return e.data.original_signal;
  }
  return undefined;
}

const ms = (v: number | null) => (v === null ? '-' : String(v));

export interface ChainTextOptions {
  /** The instrument's symbol, for the heading. */
  readonly symbol?: (token: number) => string;
}

/**
 * The view as a table: one row per hop, the namespaces' rows of a stage together (paper, then live), each
 * with its event type, topic, time, and ms since that namespace's previous hop and since its signal.
 */
export function chainText(view: ChainView, options: ChainTextOptions = {}): string {
  const instrument = view.instrumentToken === null ? '' : (options.symbol?.(view.instrumentToken) ?? String(view.instrumentToken));
  const heading = view.strategyId ? `signal ${view.signalId}: ${view.strategyId} ${view.side} ${view.quantity} ${instrument}` : `chain ${view.asked}`;
  const rows: string[][] = [['STAGE', 'NAMESPACE', 'EVENT', 'TOPIC', 'TS', 'MS PREV', 'MS SIGNAL', 'DETAIL']];
  const stages: HopStage[] = ['signal', 'verdict', 'order', 'fill', 'failure'];
  for (const stage of stages) {
    let first = true;
    for (const c of view.namespaces) {
      for (const h of c.hops) {
        if (h.stage !== stage) continue;
        rows.push([first ? stage : '', c.namespace, h.type, h.topic, h.ts ?? '-', ms(h.sincePreviousMs), ms(h.sinceSignalMs), h.detail]);
        first = false;
      }
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const right = new Set([5, 6]);
  const table = rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : right.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd());
  const outcomes = view.namespaces.map((c) => {
    const why = c.decision?.decision === 'rejected' ? ` (${c.decision.reasonCode})` : c.outcome === 'partly_filled' || c.outcome === 'filled' ? ` (${c.filled})` : '';
    return `${c.namespace} ${c.outcome}${why}${c.totalMs === null ? '' : ` in ${c.totalMs} ms`} [chain ${c.correlationId}]`;
  });
  return [heading, '', ...table, '', `outcome: ${outcomes.join('; ')}`].join('\n');
}
