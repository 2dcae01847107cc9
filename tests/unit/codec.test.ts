import { describe, expect, it } from 'vitest';
import { decode, encode } from '../../src/contracts/codec.ts';
import { createEvent } from '../../src/contracts/envelope.ts';
import { consumerGroup, dlqOf, MARKET_TICKS, NAMESPACED_ROLES, SHARED_ROLES, topicsFor } from '../../src/contracts/topics.ts';
import { tick } from '../support/harness.ts';

const signalData = { signal_id: '1b4e28ba-2fa1-4d2b-883f-0016d3cca427', strategy_id: 'momo-1', instrument_token: 738561, signal_type: 'BUY' as const, quantity: 10, price: 2501.35, timestamp: '2025-08-11T04:00:00.000Z' };

describe('wire contract', () => {
  it('round-trips an event through bytes', () => {
    const e = tick(256265, 24402.05);
    const d = decode(encode(e), MARKET_TICKS);
    expect(d).toEqual({ ok: true, event: e });
  });

  it('keeps the correlation id along a chain and names each parent as causation', () => {
    const t = tick(738561);
    const signal = createEvent({ type: 'trading_signal', broker: 'paper', source: 'strategy', key: 'momo-1', data: signalData, cause: t, startsChain: true, now: 0 });
    const validated = createEvent({ type: 'validated_signal', broker: 'paper', source: 'risk', key: 'momo-1', cause: signal, now: 0, data: { original_signal: signalData, validated_quantity: 10, validated_price: 2501.35, risk_checks: ['max_quantity'], timestamp: signalData.timestamp } });
    expect(t.causation_id).toBeNull();
    expect(signal.correlation_id).toBe(signal.id);
    expect(signal.causation_id).toBe(t.id);
    expect(validated.correlation_id).toBe(signal.id);
    expect(validated.causation_id).toBe(signal.id);
  });

  it.each([
    ['not JSON', '{oops', 'not_json', undefined],
    ['a schema violation, with its path', JSON.stringify({ ...tick(1), data: { ...tick(1).data, last_price: -1 } }), 'schema_violation', 'data.last_price'],
    ['a price with fractions of a paisa', JSON.stringify({ ...tick(1), data: { ...tick(1).data, last_price: 100.001 } }), 'schema_violation', 'data.last_price'],
    ['a bad envelope field', JSON.stringify({ ...tick(1), id: 'nope' }), 'schema_violation', 'id'],
    ['an unknown type', JSON.stringify({ ...tick(1), type: 'mystery' }), 'unknown_type', 'type'],
    ['an unsupported version', JSON.stringify({ ...tick(1), version: 9 }), 'unsupported_version', 'version'],
  ])('rejects %s with a typed decode error', (_what, bytes, kind, path) => {
    const d = decode(Buffer.from(bytes), MARKET_TICKS);
    expect(d.ok).toBe(false);
    if (!d.ok) {
      expect(d.error.kind).toBe(kind);
      expect(d.error.path).toBe(path);
      expect(d.error.retriable).toBe(false);
    }
  });

  it('rejects an event type that does not belong on the topic', () => {
    const d = decode(encode(tick(1)), topicsFor('paper').signalsRaw);
    expect(d.ok || d.error.kind).toBe('wrong_topic');
  });

  it('names topics per broker namespace and dead-letter topics after their source', () => {
    expect(topicsFor('zerodha')).toEqual({
      signalsRaw: 'zerodha.signals.raw',
      signalsValidated: 'zerodha.signals.validated',
      signalsRejected: 'zerodha.signals.rejected',
      ordersSubmitted: 'zerodha.orders.submitted',
      ordersFilled: 'zerodha.orders.filled',
      ordersFailed: 'zerodha.orders.failed',
      pnlSnapshots: 'zerodha.pnl.snapshots',
    });
    expect(dlqOf('paper.signals.raw')).toBe('paper.signals.raw.dlq');
  });

  it('gives every role its own consumer group', () => {
    const groups = [...SHARED_ROLES.map((r) => consumerGroup('ap', r)), ...NAMESPACED_ROLES.flatMap((r) => [consumerGroup('ap', r, 'paper'), consumerGroup('ap', r, 'zerodha')])];
    expect(new Set(groups).size).toBe(groups.length);
    expect(consumerGroup('ap', 'risk', 'paper')).toBe('ap.paper.risk');
  });
});
