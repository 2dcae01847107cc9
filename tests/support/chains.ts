import { createEvent, type AnyEnvelope } from '../../src/contracts/envelope.ts';
import type { TradingSignal } from '../../src/contracts/events.ts';
import type { BrokerNamespace } from '../../src/contracts/topics.ts';
import { derivedId } from '../../src/ids.ts';

export const T0 = Date.parse('2026-01-12T04:00:00.000Z');
export const SIGNAL: TradingSignal = { signal_id: derivedId('signal', 'one'), strategy_id: 'momo', instrument_token: 408065, signal_type: 'BUY', quantity: 5, price: 1500, timestamp: '2026-01-12T04:00:00.000Z' };

/** A signal of its own (a test on a shared broker or database). */
export const signalNamed = (name: string): TradingSignal => ({ ...SIGNAL, signal_id: derivedId('signal', name, Date.now()) });

/**
 * One namespace's chain for `signal` as the actors make it (ids derived as theirs are): the signal at T0,
 * the other hops `at` ms after.
 */
export function chain(ns: BrokerNamespace, at: { verdict: number; placed?: number; fills?: ReadonlyArray<readonly [number, number]>; failed?: number; rejected?: boolean }, signal: TradingSignal = SIGNAL): AnyEnvelope[] {
  const key = signal.strategy_id;
  const raw = createEvent({ type: 'trading_signal', broker: ns, source: 'strategy/momo', key, data: signal, startsChain: true, now: T0, id: derivedId(signal.signal_id, ns) });
  if (at.rejected) return [raw, createEvent({ type: 'rejected_signal', broker: ns, source: `risk/${ns}`, key, data: { original_signal: signal, reason_code: 'MAX_POSITION_INSTRUMENT', reason: 'position would exceed 100', timestamp: signal.timestamp }, cause: raw, now: T0 + at.verdict })];
  const verdict = createEvent({ type: 'validated_signal', broker: ns, source: `risk/${ns}`, key, data: { original_signal: signal, validated_quantity: 5, validated_price: 1500, risk_checks: [], timestamp: signal.timestamp }, cause: raw, now: T0 + at.verdict });
  const base = { signal_id: signal.signal_id, strategy_id: key, instrument_token: signal.instrument_token, signal_type: signal.signal_type, quantity: 5, execution_mode: ns, timestamp: signal.timestamp };
  if (at.failed !== undefined) return [raw, verdict, createEvent({ type: 'order_failed', broker: ns, source: `execution/${ns}`, key, data: { ...base, order_id: null, price: 1500, reason_code: 'BROKER_REJECTED', error_message: 'RMS: margin exceeds' }, cause: verdict, now: T0 + at.failed })];
  const placed = createEvent({ type: 'order_placed', broker: ns, source: `execution/${ns}`, key, data: { ...base, order_id: `${ns}-1`, price: 1500 }, cause: verdict, now: T0 + at.placed! });
  const fills = (at.fills ?? []).map(([ms, quantity], i) =>
    createEvent({ type: 'order_filled', broker: ns, source: `execution/${ns}`, key, data: { ...base, quantity, order_id: `${ns}-1`, fill_id: String(i + 1), fill_price: 1500.5, fees: 2, fee_breakdown: { brokerage: 2, stt: 0, transaction: 0, ipft: 0, sebi: 0, gst: 0, stamp: 0 }, fee_schedule: 'test' }, cause: placed, now: T0 + ms }),
  );
  return [raw, verdict, placed, ...fills];
}

