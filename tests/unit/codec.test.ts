import { describe, expect, it } from 'vitest';
import { decode, encode } from '../../src/contracts/codec.ts';
import { createEvent } from '../../src/contracts/envelope.ts';
import { consumerGroup, dlqOf, expectedTypeOf, MARKET_TICKS, NAMESPACE_TOPICS, ROLES, topicsFor, type Role } from '../../src/contracts/topics.ts';
import { tick } from '../support/harness.ts';

const signalData = { signal_id: '1b4e28ba-2fa1-4d2b-883f-0016d3cca427', strategy_id: 'momo-1', instrument_token: 738561, signal_type: 'BUY' as const, quantity: 10, price: 2501.35, timestamp: '2025-08-11T04:00:00.000Z' };

describe('wire contract', () => {
  it('reads which event type a topic carries from the one topology table', () => {
    expect(expectedTypeOf(MARKET_TICKS)).toBe('market_tick');
    for (const family of Object.values(NAMESPACE_TOPICS)) expect(expectedTypeOf(`paper.${family.suffix}`)).toBe(family.type);
    expect(expectedTypeOf('paper.signals.raw.dlq')).toBeUndefined();
    expect(expectedTypeOf('other.signals.raw')).toBeUndefined();
  });

  it('upcasts a v1 fill to the current shape: one fill per order, the charges renamed, no schedule known', () => {
    const v1 = { ...tick(1), type: 'order_filled', version: 1, data: { strategy_id: 's', instrument_token: 1, signal_type: 'BUY', quantity: 1, order_id: 'o', execution_mode: 'paper', timestamp: '2025-08-11T04:00:00.000Z', fill_price: 10, fees: 0.5, fee_breakdown: { brokerage: 0.3, stt: 0, exchange: 0.1, gst: 0.05, sebi: 0.02, stamp: 0.03 } } };
    const d = decode(Buffer.from(JSON.stringify(v1)), topicsFor('paper').ordersFilled);
    expect(d.ok && d.event).toMatchObject({ version: 2, data: { fill_id: '1', fee_schedule: 'v1', fee_breakdown: { transaction: 0.1, ipft: 0, brokerage: 0.3 } } });
  });

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
      riskState: 'zerodha.risk.state',
      riskCommands: 'zerodha.risk.commands',
      reconciliation: 'zerodha.reconciliation',
      divergence: 'zerodha.divergence',
    });
    expect(dlqOf('paper.signals.raw')).toBe('paper.signals.raw.dlq');
  });

  it('gives every role its own consumer group', () => {
    const roles = Object.keys(ROLES) as Role[];
    const groups = roles.flatMap((r) => {
      const scope = ROLES[r].scope;
      if (scope === 'chain') return [consumerGroup('ap', r, { ns: 'paper' }), consumerGroup('ap', r, { ns: 'zerodha' })];
      if (scope === 'instance') return [consumerGroup('ap', r, { instance: 'a' }), consumerGroup('ap', r, { instance: 'b' })];
      return [consumerGroup('ap', r)];
    });
    expect(new Set(groups).size).toBe(groups.length);
    expect(consumerGroup('ap', 'risk', { ns: 'paper' })).toBe('ap.paper.risk');
    expect(consumerGroup('ap', 'strategy-runner', { instance: 'a' })).toBe('ap.strategy-runner.a');
    expect(consumerGroup('ap', 'strategy-host')).toBe('ap.strategy-host');
  });
});
