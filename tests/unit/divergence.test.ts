import { describe, expect, it } from 'vitest';
import { compareChain, compareLedger, percentile, sideOf, summarise, worstChains, type LedgerFact } from '../../src/divergence/compare.ts';
import { derivedId } from '../../src/ids.ts';

const SIGNAL_AT = '2025-08-11T04:00:00.000Z';
/** The risk decision: what fill latencies are measured from. */
const DECIDED = Date.parse(SIGNAL_AT) + 1_000;

interface Chain {
  readonly id?: string;
  readonly strategy?: string;
  readonly side?: 'BUY' | 'SELL';
  readonly quantity?: number;
  /** Paise. */
  readonly price?: number;
  /** What risk let through; absent: the signal's quantity. */
  readonly validated?: number;
  readonly rejected?: string;
  readonly placed?: boolean;
  readonly failed?: string;
  /** [quantity, price paise, fees paise, ms after the decision]. */
  readonly fills?: ReadonlyArray<readonly [number, number, number, number]>;
}

/** One namespace's ledger rows for a signal, as the ledger writes them. */
function rows(namespace: 'paper' | 'zerodha', c: Chain): LedgerFact[] {
  const signalId = derivedId('signal', c.id ?? 'a');
  const correlationId = derivedId(signalId, namespace);
  const quantity = c.quantity ?? 10;
  const base = { namespace, correlationId, signalId, strategyId: c.strategy ?? 's1', instrumentToken: 408065, side: c.side ?? 'BUY', eventTs: new Date(SIGNAL_AT) } as const;
  const at = (ms: number) => ({ ts: new Date(DECIDED + ms).toISOString(), data: {} });
  const verdict = { ts: new Date(DECIDED).toISOString(), data: { original_signal: { quantity } } };
  const price = c.price ?? 100_000;
  const out: LedgerFact[] = [];
  if (c.rejected) return [{ ...base, kind: 'rejected', quantity, pricePaise: price, reasonCode: c.rejected, event: verdict }];
  const validated = c.validated ?? quantity;
  out.push({ ...base, kind: 'validated', quantity: validated, pricePaise: price, event: verdict });
  const orderId = `${namespace}-${c.id ?? 'a'}`;
  if (c.failed) return [...out, { ...base, kind: 'failed', quantity: validated, pricePaise: price, orderId: null, reasonCode: c.failed, event: at(5) }];
  if (c.placed !== false) out.push({ ...base, kind: 'placed', quantity: validated, pricePaise: price, orderId, event: at(2) });
  for (const [q, p, fees, ms] of c.fills ?? []) out.push({ ...base, kind: 'filled', quantity: q, pricePaise: p, fillPricePaise: p, feesPaise: fees, orderId, event: at(ms) });
  return out;
}

const compare = (paper: Chain, live: Chain) => compareChain(sideOf(rows('paper', paper)), sideOf(rows('zerodha', live)));

describe('a chain traded paper and live', () => {
  it('a BUY filled above the signal price slipped against the trader: positive slippage, in paise and bps', () => {
    const d = compare({ fills: [[10, 100_050, 450, 5]] }, { fills: [[10, 100_100, 620, 140]] });
    expect(d.paper).toMatchObject({ outcome: 'filled', average_price: 1000.5, slippage: 0.5, slippage_bps: 5, slippage_cost: 5, fees: 4.5 });
    expect(d.live).toMatchObject({ outcome: 'filled', average_price: 1001, slippage: 1, slippage_bps: 10, slippage_cost: 10, fees: 6.2 });
    expect(d.differences).toEqual({ filled_quantity: 0, fees: 1.7, average_price: 0.5, average_price_bps: 5, slippage_cost: 5 });
    expect(d.mismatch).toBe('none');
  });

  it('a SELL filled below the signal price slipped against the trader; one filled above it gained', () => {
    const d = compare({ side: 'SELL', fills: [[10, 99_950, 450, 5]] }, { side: 'SELL', fills: [[10, 100_020, 450, 90]] });
    expect(d.paper).toMatchObject({ slippage: 0.5, slippage_bps: 5, slippage_cost: 5 });
    expect(d.live).toMatchObject({ slippage: -0.2, slippage_bps: -2, slippage_cost: -2 });
    // The price is higher live (+0.70), which for a sale means live did better: -7 bps.
    expect(d.differences).toMatchObject({ average_price: 0.7, average_price_bps: -7, slippage_cost: -7 });
  });

  it('three partial fills average exactly to the paisa, rounded once, half up (a float average gives 1000.08)', () => {
    const live = sideOf(rows('zerodha', { quantity: 5, fills: [[1, 100_001, 100, 120], [2, 100_003, 150, 180], [1, 100_027, 100, 250]] }));
    expect([live.outcome, live.filledQuantity, live.validatedQuantity, live.notionalPaise]).toEqual(['partially_filled', 4, 5, 400_034]);
    const d = compareChain(sideOf(rows('paper', { quantity: 5, fills: [[5, 100_000, 500, 5]] })), live);
    expect(d.live).toMatchObject({ outcome: 'partially_filled', filled_quantity: 4, fills: 3, average_price: 1000.09, slippage: 0.09, slippage_bps: 0.85, slippage_cost: 0.34, fees: 3.5, first_fill_ms: 120, last_fill_ms: 250 });
    expect(d.differences).toEqual({ filled_quantity: -1, fees: -1.5, average_price: 0.09, average_price_bps: 0.85, slippage_cost: 0.34 });
    expect(d.mismatch).toBe('quantity');
  });

  it('paper filled and the broker rejected live: an outcome mismatch with the broker reason, no price to compare', () => {
    const d = compare({ fills: [[10, 100_050, 450, 5]] }, { failed: 'BROKER_REJECTED' });
    expect(d.live).toMatchObject({ outcome: 'failed', reason_code: 'BROKER_REJECTED', filled_quantity: 0, average_price: null, slippage: null, slippage_cost: 0, fees: 0, first_fill_ms: null });
    expect(d.differences).toEqual({ filled_quantity: -10, fees: -4.5, average_price: null, average_price_bps: null, slippage_cost: null });
    expect(d.mismatch).toBe('outcome');
  });

  it('risk rejecting one side while the other filled is an outcome mismatch with the risk reason code', () => {
    const d = compare({ rejected: 'MAX_NOTIONAL' }, { fills: [[10, 100_000, 450, 60]] });
    expect(d.paper).toMatchObject({ outcome: 'rejected', reason_code: 'MAX_NOTIONAL', validated_quantity: 0 });
    expect(d.mismatch).toBe('outcome');
  });

  it('both refused (risk on one side, the broker on the other) is no mismatch: neither traded', () => {
    expect(compare({ rejected: 'MAX_NOTIONAL' }, { failed: 'SESSION_EXPIRED' }).mismatch).toBe('none');
  });

  it('a placed live order with no fill yet is open, whatever paper did', () => {
    const d = compare({ fills: [[10, 100_050, 450, 5]] }, {});
    expect(d.live).toMatchObject({ outcome: 'open', order_id: 'zerodha-a', filled_quantity: 0, validated_quantity: 10 });
    expect(d.mismatch).toBe('open');
  });

  it('keeps the quantity the strategy asked for when risk let through less', () => {
    const d = compare({ quantity: 10, validated: 6, fills: [[6, 100_000, 300, 5]] }, { quantity: 10, validated: 6, fills: [[6, 100_000, 300, 50]] });
    expect([d.quantity, d.paper.validated_quantity, d.paper.outcome, d.mismatch]).toEqual([10, 6, 'filled', 'none']);
  });

  it('refuses to compare the chains of two different signals, or paper with paper', () => {
    const paper = sideOf(rows('paper', { id: 'a' }));
    expect(() => compareChain(paper, sideOf(rows('zerodha', { id: 'b' })))).toThrow(/one signal/);
    expect(() => compareChain(paper, paper)).toThrow(/paper and the live chain/);
  });

  it('a chain with no verdict in the ledger is a bug, said as one', () => {
    expect(() => sideOf(rows('paper', {}).filter((r) => r.kind !== 'validated'))).toThrow(/has no verdict row/);
  });
});

describe('a day of the ledger', () => {
  it('compares signals traded both ways and only counts those with one side', () => {
    const facts = [
      ...rows('paper', { id: 'both', fills: [[10, 100_000, 450, 5]] }),
      ...rows('zerodha', { id: 'both', fills: [[10, 100_010, 450, 80]] }),
      ...rows('paper', { id: 'paper-only-1', fills: [[10, 100_000, 450, 5]] }),
      ...rows('paper', { id: 'paper-only-2', rejected: 'RATE_LIMIT_SECOND' }),
      ...rows('zerodha', { id: 'live-only', fills: [[10, 100_000, 450, 80]] }),
    ];
    const { chains, unpaired } = compareLedger(facts);
    expect(chains.map((c) => c.signal_id)).toEqual([derivedId('signal', 'both')]);
    expect(unpaired).toEqual({ paperOnly: 2, liveOnly: 1 });
  });

  it('groups a chain by its correlation id, so an order event written before signal_id was carried still counts', () => {
    const live = rows('zerodha', { fills: [[10, 100_010, 450, 80]] }).map((r) => (r.kind === 'validated' ? r : { ...r, signalId: null }));
    const { chains } = compareLedger([...rows('paper', { fills: [[10, 100_000, 450, 5]] }), ...live]);
    expect(chains[0]!.live).toMatchObject({ outcome: 'filled', filled_quantity: 10, average_price: 1000.1 });
  });
});

describe('the summary', () => {
  const chains = [
    compare({ id: '1', strategy: 'momo', fills: [[10, 100_000, 450, 5]] }, { id: '1', strategy: 'momo', fills: [[10, 100_050, 470, 100]] }),
    compare({ id: '2', strategy: 'momo', side: 'SELL', fills: [[4, 100_000, 200, 5]] }, { id: '2', strategy: 'momo', side: 'SELL', fills: [[4, 99_990, 210, 300]] }),
    compare({ id: '3', strategy: 'momo', fills: [[10, 100_000, 450, 7]] }, { id: '3', strategy: 'momo', failed: 'BROKER_REJECTED' }),
    compare({ id: '4', strategy: 'revert', fills: [[6, 100_000, 300, 9]] }, { id: '4', strategy: 'revert', fills: [[6, 99_980, 290, 200]] }),
  ];

  it('totals per strategy and overall, exact to the paisa, over the chains both sides filled', () => {
    const s = summarise(chains, { paperOnly: 3, liveOnly: 0 });
    const momo = s.strategies.find((x) => x.strategyId === 'momo')!;
    // momo: +5 bps on 10 (live paid 500 paise more), +1 bp on 4 (40), the failed chain left out; charges +20 and +10.
    expect(momo).toMatchObject({ chains: 3, mismatches: { outcome: 1, quantity: 0, open: 0 }, bothFilled: 2, meanPriceDifferenceBps: 3, worstPriceDifferenceBps: 5, slippageCostDifferencePaise: 540, feesDifferencePaise: 30 });
    // revert: live bought 0.20 below paper's price, 6 shares: -120 paise, -2 bps; charges -10.
    expect(s.strategies.find((x) => x.strategyId === 'revert')).toMatchObject({ chains: 1, bothFilled: 1, meanPriceDifferenceBps: -2, worstPriceDifferenceBps: -2, slippageCostDifferencePaise: -120, feesDifferencePaise: -10 });
    expect(s.total).toMatchObject({ chains: 4, mismatches: { outcome: 1, quantity: 0, open: 0 }, bothFilled: 3, meanPriceDifferenceBps: 1.33, worstPriceDifferenceBps: 5, slippageCostDifferencePaise: 420, feesDifferencePaise: 20 });
    expect(s.strategies.map((x) => x.strategyId)).toEqual(['momo', 'revert']);
    expect(s.unpaired).toEqual({ paperOnly: 3, liveOnly: 0 });
  });

  it('ranks the worst chains: mismatched outcomes first, then the live fills furthest behind paper', () => {
    expect(worstChains(chains, 3).map((c) => c.signal_id)).toEqual(['3', '1', '2'].map((id) => derivedId('signal', id)));
  });

  it('gives latency percentiles per side by nearest rank, over the chains that side filled', () => {
    expect(summarise(chains, { paperOnly: 0, liveOnly: 0 }).total.latencyMs).toEqual({
      paper: { firstFill: { p50: 5, p95: 9 }, lastFill: { p50: 5, p95: 9 } },
      live: { firstFill: { p50: 200, p95: 300 }, lastFill: { p50: 200, p95: 300 } },
    });
    const twenty = Array.from({ length: 20 }, (_, i) => (20 - i) * 10);
    expect([percentile(twenty, 50), percentile(twenty, 95), percentile(twenty, 100), percentile([42], 95), percentile([], 50)]).toEqual([100, 190, 200, 42, null]);
  });

  it('an empty day sums to zero chains with nothing to average', () => {
    expect(summarise([], { paperOnly: 0, liveOnly: 0 }).total).toMatchObject({ chains: 0, bothFilled: 0, meanPriceDifferenceBps: null, worstPriceDifferenceBps: null, slippageCostDifferencePaise: 0, latencyMs: { live: { firstFill: { p50: null, p95: null } } } });
  });
});
