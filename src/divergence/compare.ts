import { ChainDivergence, type DivergenceSide, type Mismatch, type SideOutcome } from '../contracts/divergence.ts';
import type { BrokerNamespace } from '../contracts/topics.ts';
import { mulDivRound, toPaise, toRupees, type Paise } from '../money.ts';

/**
 * Paper against live, per signal traded both ways. Pure: ledger rows in, divergences out. Sums stay in
 * integer paise (a side's fill notional, its slippage cost); a figure per share is that sum over the
 * quantity, rounded (half away from zero, as money.ts rounds) only where it is presented.
 */

/** The ledger row fields the comparison reads: a LedgerEntryRow fits, so tests need no database. */
export interface LedgerFact {
  readonly kind: 'validated' | 'rejected' | 'placed' | 'filled' | 'failed';
  readonly namespace: string;
  /** One namespace's chain: every row its signal event caused. */
  readonly correlationId: string;
  readonly signalId?: string | null;
  readonly strategyId: string;
  readonly instrumentToken: number;
  readonly side: 'BUY' | 'SELL';
  readonly quantity: number;
  readonly pricePaise: Paise;
  readonly fillPricePaise?: Paise | null;
  readonly feesPaise?: Paise | null;
  readonly reasonCode?: string | null;
  readonly orderId?: string | null;
  /** The signal's time on a verdict row. */
  readonly eventTs: Date;
  /** The envelope: when it was made, and (a verdict's) the signal as the strategy sent it. */
  readonly event: { readonly ts: string; readonly data: { readonly original_signal?: { readonly quantity: number } } };
}

/** One namespace's chain of one signal, summed. */
export interface SideSummary {
  readonly namespace: string;
  readonly signalId: string;
  readonly strategyId: string;
  readonly instrumentToken: number;
  readonly side: 'BUY' | 'SELL';
  /** What the strategy asked for, at what price, when. */
  readonly quantity: number;
  readonly signalPricePaise: Paise;
  readonly signalAt: Date;
  readonly outcome: SideOutcome;
  readonly validatedQuantity: number;
  readonly filledQuantity: number;
  readonly fills: number;
  /** Σ fill price × fill quantity: the average fill price is this over `filledQuantity`, exactly. */
  readonly notionalPaise: Paise;
  readonly feesPaise: Paise;
  readonly reasonCode: string | null;
  readonly orderId: string | null;
  readonly firstFillMs: number | null;
  readonly lastFillMs: number | null;
}

const PAPER: BrokerNamespace = 'paper';
const LIVE: BrokerNamespace = 'zerodha';

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
/** n / d in basis points, to a hundredth of one. */
const bps = (n: number, d: number) => mulDivRound(n, 1_000_000, d) / 100;
const isFilled = (o: SideOutcome) => o === 'filled' || o === 'partially_filled';

export function sideOf(rows: readonly LedgerFact[]): SideSummary {
  const verdict = rows.find((r) => r.kind === 'validated' || r.kind === 'rejected');
  // The risk checker records its verdict before anything it causes can exist.
  if (!verdict?.signalId) throw new Error(`ledger chain ${rows[0]?.namespace}/${rows[0]?.correlationId} has no verdict row`);
  const fills = rows.filter((r) => r.kind === 'filled');
  const failed = rows.find((r) => r.kind === 'failed');
  const decidedAt = Date.parse(verdict.event.ts);
  const latencies = fills.map((f) => Date.parse(f.event.ts) - decidedAt);
  const validatedQuantity = verdict.kind === 'validated' ? verdict.quantity : 0;
  const filledQuantity = sum(fills.map((f) => f.quantity));
  const unfilled: SideOutcome = verdict.kind === 'rejected' ? 'rejected' : failed ? 'failed' : 'open';
  return {
    namespace: verdict.namespace,
    signalId: verdict.signalId,
    strategyId: verdict.strategyId,
    instrumentToken: verdict.instrumentToken,
    side: verdict.side,
    quantity: verdict.event.data.original_signal?.quantity ?? verdict.quantity,
    signalPricePaise: verdict.pricePaise,
    signalAt: verdict.eventTs,
    outcome: filledQuantity === 0 ? unfilled : filledQuantity < validatedQuantity ? 'partially_filled' : 'filled',
    validatedQuantity,
    filledQuantity,
    fills: fills.length,
    notionalPaise: sum(fills.map((f) => f.fillPricePaise! * f.quantity)),
    feesPaise: sum(fills.map((f) => f.feesPaise!)),
    reasonCode: verdict.reasonCode ?? failed?.reasonCode ?? null,
    orderId: rows.find((r) => r.orderId)?.orderId ?? null,
    firstFillMs: latencies.length ? Math.min(...latencies) : null,
    lastFillMs: latencies.length ? Math.max(...latencies) : null,
  };
}

/** Σ (fill - signal price) × quantity, positive when it cost the trader (a BUY above, a SELL below). */
const slippageCost = (s: SideSummary, signalPrice: Paise) => (s.side === 'BUY' ? s.notionalPaise - signalPrice * s.filledQuantity : signalPrice * s.filledQuantity - s.notionalPaise);

/** A side as the payload shows it (checked by the payload's schema: reason codes included). */
function presented(s: SideSummary, signalPrice: Paise) {
  const q = s.filledQuantity;
  const cost = slippageCost(s, signalPrice);
  return {
    outcome: s.outcome,
    validated_quantity: s.validatedQuantity,
    filled_quantity: q,
    fills: s.fills,
    reason_code: s.reasonCode,
    order_id: s.orderId,
    average_price: q ? toRupees(mulDivRound(s.notionalPaise, 1, q)) : null,
    slippage: q ? toRupees(mulDivRound(cost, 1, q)) : null,
    slippage_bps: q ? bps(cost, q * signalPrice) : null,
    slippage_cost: toRupees(cost),
    fees: toRupees(s.feesPaise),
    first_fill_ms: s.firstFillMs,
    last_fill_ms: s.lastFillMs,
  };
}

function mismatchOf(paper: SideSummary, live: SideSummary): Mismatch {
  if (paper.outcome === 'open' || live.outcome === 'open') return 'open';
  if (isFilled(paper.outcome) !== isFilled(live.outcome)) return 'outcome';
  return paper.filledQuantity === live.filledQuantity ? 'none' : 'quantity';
}

/** The two chains of one signal, compared; the payload is checked against its schema as a publisher would. */
export function compareChain(paper: SideSummary, live: SideSummary): ChainDivergence {
  if (paper.namespace !== PAPER || live.namespace !== LIVE || paper.signalId !== live.signalId) {
    throw new Error(`compareChain takes the paper and the live chain of one signal, got ${paper.namespace}/${paper.signalId} and ${live.namespace}/${live.signalId}`);
  }
  const price = paper.signalPricePaise;
  const [qp, ql] = [paper.filledQuantity, live.filledQuantity];
  const both = qp > 0 && ql > 0;
  // VWAP_live - VWAP_paper over one denominator, from each side's distance to the signal price (small
  // numbers, where the notionals' cross products would not stay exact in a double).
  const apart = (live.notionalPaise - price * ql) * qp - (paper.notionalPaise - price * qp) * ql;
  const sign = paper.side === 'BUY' ? 1 : -1;
  return ChainDivergence.parse({
    signal_id: paper.signalId,
    strategy_id: paper.strategyId,
    instrument_token: paper.instrumentToken,
    side: paper.side,
    quantity: paper.quantity,
    signal_price: toRupees(price),
    paper: presented(paper, price),
    live: presented(live, price),
    differences: {
      filled_quantity: ql - qp,
      fees: toRupees(live.feesPaise - paper.feesPaise),
      average_price: both ? toRupees(mulDivRound(apart, 1, qp * ql)) : null,
      average_price_bps: both ? bps(sign * apart, qp * ql * price) : null,
      slippage_cost: both ? toRupees(slippageCost(live, price) - slippageCost(paper, price)) : null,
    },
    mismatch: mismatchOf(paper, live),
    timestamp: paper.signalAt.toISOString(),
  });
}

/** Chains with one side only: not divergences, only counted. */
export interface Unpaired {
  /** The strategy was not live (or its live account refused to send). */
  readonly paperOnly: number;
  /** Traded live with no paper shadow (the paper account was restricted, or paper trading is off). */
  readonly liveOnly: number;
}

/** A day's ledger rows, both namespaces: each signal traded both ways compared, the rest counted. */
export function compareLedger(facts: readonly LedgerFact[]): { readonly chains: ChainDivergence[]; readonly unpaired: Unpaired } {
  const chains = new Map<string, LedgerFact[]>();
  for (const f of facts) {
    const key = `${f.namespace}|${f.correlationId}`;
    (chains.get(key) ?? chains.set(key, []).get(key)!).push(f);
  }
  const sides = { paper: new Map<string, SideSummary>(), live: new Map<string, SideSummary>() };
  for (const rows of chains.values()) {
    const s = sideOf(rows);
    if (s.namespace === PAPER) sides.paper.set(s.signalId, s);
    else if (s.namespace === LIVE) sides.live.set(s.signalId, s);
  }
  const compared = [...sides.paper].flatMap(([id, paper]) => {
    const live = sides.live.get(id);
    return live ? [compareChain(paper, live)] : [];
  });
  compared.sort((a, b) => a.timestamp.localeCompare(b.timestamp) || a.signal_id.localeCompare(b.signal_id));
  return { chains: compared, unpaired: { paperOnly: sides.paper.size - compared.length, liveOnly: sides.live.size - compared.length } };
}

/** Nearest rank: always a latency that was observed, never an interpolation between two. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p * sorted.length) / 100) - 1)]!;
}

export interface LatencyPercentiles {
  readonly p50: number | null;
  readonly p95: number | null;
}

/** From the risk decision to a side's first and last fill, ms, over the chains that side filled. */
export interface SideLatency {
  readonly firstFill: LatencyPercentiles;
  readonly lastFill: LatencyPercentiles;
}

export interface DivergenceFigures {
  readonly chains: number;
  readonly mismatches: { readonly [M in Exclude<Mismatch, 'none'>]: number };
  /**
   * Chains both sides filled, in part or in full: the price, slippage and charges figures are over these
   * (a side that never traded has no price to compare, and its missing charges are not a saving).
   */
  readonly bothFilled: number;
  /** Live slippage - paper slippage, bps of the signal's price: positive, live filled worse. */
  readonly meanPriceDifferenceBps: number | null;
  readonly worstPriceDifferenceBps: number | null;
  /** What slippage cost live beyond what it cost paper, exact. */
  readonly slippageCostDifferencePaise: Paise;
  readonly feesDifferencePaise: Paise;
  readonly latencyMs: { readonly paper: SideLatency; readonly live: SideLatency };
}

export interface DivergenceSummary {
  readonly strategies: ReadonlyArray<{ readonly strategyId: string } & DivergenceFigures>;
  readonly total: DivergenceFigures;
  readonly unpaired: Unpaired;
}

function latency(sides: readonly DivergenceSide[]): SideLatency {
  const of = (ms: ReadonlyArray<number | null>): LatencyPercentiles => {
    const seen = ms.filter((x): x is number => x !== null);
    return { p50: percentile(seen, 50), p95: percentile(seen, 95) };
  };
  return { firstFill: of(sides.map((s) => s.first_fill_ms)), lastFill: of(sides.map((s) => s.last_fill_ms)) };
}

function figures(chains: readonly ChainDivergence[]): DivergenceFigures {
  const both = chains.filter((c) => c.differences.average_price_bps !== null);
  // Hundredths of a bp are whole numbers: the mean is taken on those, exactly, then rounded.
  const hundredths = both.map((c) => Math.round(c.differences.average_price_bps! * 100));
  const count = (m: Mismatch) => chains.filter((c) => c.mismatch === m).length;
  return {
    chains: chains.length,
    mismatches: { outcome: count('outcome'), quantity: count('quantity'), open: count('open') },
    bothFilled: both.length,
    meanPriceDifferenceBps: both.length ? mulDivRound(sum(hundredths), 1, both.length) / 100 : null,
    worstPriceDifferenceBps: both.length ? Math.max(...hundredths) / 100 : null,
    slippageCostDifferencePaise: sum(both.map((c) => toPaise(c.differences.slippage_cost!))),
    feesDifferencePaise: sum(both.map((c) => toPaise(c.differences.fees))),
    latencyMs: { paper: latency(chains.map((c) => c.paper)), live: latency(chains.map((c) => c.live)) },
  };
}

/** Per strategy (by id) and in total. */
export function summarise(chains: readonly ChainDivergence[], unpaired: Unpaired): DivergenceSummary {
  const byStrategy = new Map<string, ChainDivergence[]>();
  for (const c of chains) (byStrategy.get(c.strategy_id) ?? byStrategy.set(c.strategy_id, []).get(c.strategy_id)!).push(c);
  const strategies = [...byStrategy].sort(([a], [b]) => a.localeCompare(b)).map(([strategyId, own]) => ({ strategyId, ...figures(own) }));
  return { strategies, total: figures(chains), unpaired };
}

const SEVERITY: Record<Mismatch, number> = { outcome: 0, quantity: 1, open: 2, none: 3 };

/** Mismatched outcomes first, then quantities, open sides, then the live fills furthest behind paper's. */
export function worstChains(chains: readonly ChainDivergence[], n: number): ChainDivergence[] {
  const behind = (c: ChainDivergence) => c.differences.average_price_bps ?? Number.NEGATIVE_INFINITY;
  return [...chains].sort((a, b) => SEVERITY[a.mismatch] - SEVERITY[b.mismatch] || Math.sign(behind(b) - behind(a)) || 0).slice(0, n);
}
