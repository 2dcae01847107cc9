import { describe, expect, it } from 'vitest';
import { chainText, chainView } from '../../src/chains/chain-view.ts';
import type { AnyEnvelope } from '../../src/contracts/envelope.ts';
import { chain, SIGNAL } from '../support/chains.ts';

describe('the chain view', () => {
  const paper = chain('paper', { verdict: 2, placed: 3, fills: [[3, 5]] });
  const live = chain('zerodha', { verdict: 4, placed: 40, fills: [[250, 2], [180, 3]] });
  const paperId = paper[0]!.id;

  it('orders each namespace by hop, fills by time, with the ms since the previous hop and since the signal', () => {
    const view = chainView(paperId, [...live, ...paper].reverse())!;
    expect(view).toMatchObject({ asked: paperId, signalId: SIGNAL.signal_id, strategyId: 'momo', instrumentToken: 408065, side: 'BUY', quantity: 5 });
    expect(view.namespaces.map((c) => c.namespace)).toEqual(['paper', 'zerodha']);
    const [p, z] = view.namespaces;
    expect(p!.hops.map((h) => [h.stage, h.type, h.topic, h.sincePreviousMs, h.sinceSignalMs])).toEqual([
      ['signal', 'trading_signal', 'paper.signals.raw', null, 0],
      ['verdict', 'validated_signal', 'paper.signals.validated', 2, 2],
      ['order', 'order_placed', 'paper.orders.submitted', 1, 3],
      ['fill', 'order_filled', 'paper.orders.filled', 0, 3],
    ]);
    expect(z!.hops.map((h) => [h.stage, h.sincePreviousMs, h.sinceSignalMs, h.detail])).toEqual([
      ['signal', null, 0, 'BUY 5 @ 1500'],
      ['verdict', 4, 4, 'validated 5 @ 1500'],
      ['order', 36, 40, 'order zerodha-1: 5 @ 1500'],
      ['fill', 140, 180, 'fill 2: 3 @ 1500.5, fees 2'],
      ['fill', 70, 250, 'fill 1: 2 @ 1500.5, fees 2'],
    ]);
    expect([p!.outcome, p!.filled, p!.totalMs, p!.correlationId]).toEqual(['filled', 5, 3, paperId]);
    expect([z!.outcome, z!.filled, z!.totalMs, z!.correlationId]).toEqual(['filled', 5, 250, live[0]!.id]);
    expect(p!.decision).toEqual({ decision: 'validated', reasonCode: null, reason: null });
  });

  it('shows each event once however often the log holds it', () => {
    const view = chainView(paperId, [...paper, ...paper, paper[3]!])!;
    expect(view.namespaces[0]!.hops).toHaveLength(4);
  });

  it('names the outcome: rejected with its reason code, failed, partly filled, still open', () => {
    const outcome = (events: AnyEnvelope[]) => chainView('x', events)!.namespaces[0]!;
    const rejected = outcome(chain('paper', { verdict: 1, rejected: true }));
    expect([rejected.outcome, rejected.decision]).toEqual(['rejected', { decision: 'rejected', reasonCode: 'MAX_POSITION_INSTRUMENT', reason: 'position would exceed 100' }]);
    expect(rejected.hops.map((h) => h.detail)).toContain('rejected MAX_POSITION_INSTRUMENT: position would exceed 100');
    expect(outcome(chain('zerodha', { verdict: 1, failed: 30 })).outcome).toBe('failed');
    expect(outcome(chain('zerodha', { verdict: 1, placed: 5, fills: [[9, 2]] })).outcome).toBe('partly_filled');
    expect(outcome(chain('zerodha', { verdict: 1, placed: 5 })).outcome).toBe('placed');
  });

  it('read from the ledger (no signal envelope), shows the signal from its verdict, untimed, and times the rest from the verdict on', () => {
    const view = chainView(paperId, paper.slice(1))!;
    const hops = view.namespaces[0]!.hops;
    expect(hops.map((h) => [h.stage, h.eventId, h.ts, h.sincePreviousMs, h.sinceSignalMs])).toEqual([
      ['signal', paperId, null, null, null],
      ['verdict', paper[1]!.id, paper[1]!.ts, null, null],
      ['order', paper[2]!.id, paper[2]!.ts, 1, null],
      ['fill', paper[3]!.id, paper[3]!.ts, 0, null],
    ]);
    expect(hops[0]!.detail).toContain('market time 2026-01-12T04:00:00.000Z');
    expect(view.namespaces[0]!.totalMs).toBeNull();
  });

  it('is undefined for events that are no chain', () => {
    expect(chainView(paperId, [])).toBeUndefined();
  });

  it('renders a table with paper and live side by side per hop, and the outcome of each', () => {
    const text = chainText(chainView(paperId, [...paper, ...live])!, { symbol: (t) => (t === 408065 ? 'HDFCBANK' : String(t)) });
    const lines = text.split('\n');
    expect(lines[0]).toBe(`signal ${SIGNAL.signal_id}: momo BUY 5 HDFCBANK`);
    expect(lines[2]).toMatch(/^STAGE\s+NAMESPACE\s+EVENT\s+TOPIC\s+TS\s+MS PREV\s+MS SIGNAL\s+DETAIL$/);
    const rows = lines.slice(3, lines.indexOf('', 3)).map((l) => l.split(/\s{2,}/));
    expect(rows.map((r) => r.slice(0, 5))).toEqual([
      ['signal', 'paper', 'trading_signal', 'paper.signals.raw', paper[0]!.ts],
      ['', 'zerodha', 'trading_signal', 'zerodha.signals.raw', live[0]!.ts],
      ['verdict', 'paper', 'validated_signal', 'paper.signals.validated', paper[1]!.ts],
      ['', 'zerodha', 'validated_signal', 'zerodha.signals.validated', live[1]!.ts],
      ['order', 'paper', 'order_placed', 'paper.orders.submitted', paper[2]!.ts],
      ['', 'zerodha', 'order_placed', 'zerodha.orders.submitted', live[2]!.ts],
      ['fill', 'paper', 'order_filled', 'paper.orders.filled', paper[3]!.ts],
      ['', 'zerodha', 'order_filled', 'zerodha.orders.filled', live[4]!.ts],
      ['', 'zerodha', 'order_filled', 'zerodha.orders.filled', live[3]!.ts],
    ]);
    // ms since the previous hop and since the signal, right-aligned, then what happened.
    expect(rows.map((r) => r.slice(5))).toEqual([['-', '0', 'BUY 5 @ 1500'], ['-', '0', 'BUY 5 @ 1500'], ['2', '2', 'validated 5 @ 1500'], ['4', '4', 'validated 5 @ 1500'], ['1', '3', 'order paper-1: 5 @ 1500'], ['36', '40', 'order zerodha-1: 5 @ 1500'], ['0', '3', 'fill 1: 5 @ 1500.5, fees 2'], ['140', '180', 'fill 2: 3 @ 1500.5, fees 2'], ['70', '250', 'fill 1: 2 @ 1500.5, fees 2']]);
    expect(lines.at(-1)).toBe(`outcome: paper filled (5) in 3 ms [chain ${paperId}]; zerodha filled (5) in 250 ms [chain ${live[0]!.id}]`);
  });
});
