import type { AnyEnvelope } from '../contracts/envelope.ts';
import type { ActivityEvent } from './schemas.ts';

/** The last trading state each namespace announced. */
export interface LastState {
  readonly state: string;
  readonly cause: string;
  /** Null when known only from the saved risk day (announced before this process started). */
  readonly timestamp: string | null;
}

/**
 * What the dashboard lists: the latest signals, verdicts, orders, fills, failures and state changes of
 * every namespace (a ring of `capacity`, newest last), and rejections counted by namespace and reason
 * code since this process started. Fed by the activity feed actor; read by the API. Synchronous, no I/O.
 */
export class RecentEvents {
  /** The events themselves: the dashboard's view of one is made when it is listed, not for every event. */
  private readonly ring: AnyEnvelope[] = [];
  private next = 0;
  private readonly capacity: number;
  readonly rejections = new Map<string, Map<string, number>>();
  readonly states = new Map<string, LastState>();
  /** The last operator's command seen per namespace: who gave it, and why. */
  readonly commands = new Map<string, { readonly command: string; readonly operator: string; readonly reason: string | null; readonly timestamp: string }>();
  private readonly seen = new Set<string>();

  private readonly symbolOf: (token: number) => string | undefined;

  constructor(capacity: number, symbolOf: (token: number) => string | undefined) {
    this.capacity = capacity;
    this.symbolOf = symbolOf;
  }

  add(e: AnyEnvelope): void {
    // A record delivered again (a rebalance) is counted once: the ring's ids are the ones that can recur.
    if (this.seen.has(e.id) || !LISTED.has(e.type)) return;
    if (e.type === 'rejected_signal') {
      const byCode = this.rejections.get(e.broker) ?? new Map<string, number>();
      byCode.set(e.data.reason_code, (byCode.get(e.data.reason_code) ?? 0) + 1);
      this.rejections.set(e.broker, byCode);
    }
    if (e.type === 'risk_command') this.commands.set(e.broker, { command: e.data.command, operator: e.data.operator, reason: e.data.reason ?? null, timestamp: e.data.timestamp });
    if (e.type === 'trading_state') this.states.set(e.broker, { state: e.data.state, cause: e.data.cause, timestamp: e.data.timestamp });
    if (this.ring.length < this.capacity) this.ring.push(e);
    else {
      this.seen.delete(this.ring[this.next]!.id);
      this.ring[this.next] = e;
      this.next = (this.next + 1) % this.capacity;
    }
    this.seen.add(e.id);
  }

  /** Oldest first. */
  list(): ActivityEvent[] {
    const out: ActivityEvent[] = [];
    for (const e of [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)]) {
      const view = viewOf(e);
      if (view) out.push({ ...view, instrument: view.instrument_token === null ? null : (this.symbolOf(view.instrument_token) ?? String(view.instrument_token)) });
    }
    return out;
  }
}

/** The event types the dashboard lists: those viewOf has a view of (checked as events arrive, viewed when listed). */
const LISTED = new Set<string>(['trading_signal', 'rejected_signal', 'order_placed', 'order_filled', 'order_failed', 'trading_state', 'risk_command']);

const base = (e: AnyEnvelope) => ({ id: e.id, type: e.type, namespace: e.broker, correlation_id: e.correlation_id, ts: e.ts });

function viewOf(e: AnyEnvelope): Omit<ActivityEvent, 'instrument'> | undefined {
  switch (e.type) {
    case 'trading_signal':
      return { ...base(e), strategy_id: e.data.strategy_id, instrument_token: e.data.instrument_token, side: e.data.signal_type, quantity: e.data.quantity, price: e.data.price, reason_code: null };
    case 'rejected_signal': {
      const s = e.data.original_signal;
      return { ...base(e), strategy_id: s.strategy_id, instrument_token: s.instrument_token, side: s.signal_type, quantity: s.quantity, price: s.price, reason_code: e.data.reason_code };
    }
    case 'order_placed':
    case 'order_filled':
    case 'order_failed': {
      const d = e.data;
      const price = e.type === 'order_filled' ? e.data.fill_price : e.type === 'order_placed' ? e.data.price : null;
      return { ...base(e), strategy_id: d.strategy_id, instrument_token: d.instrument_token, side: d.signal_type, quantity: d.quantity, price, reason_code: e.type === 'order_failed' ? e.data.reason_code : null };
    }
    case 'trading_state':
      return { ...base(e), strategy_id: null, instrument_token: null, side: null, quantity: null, price: null, reason_code: `${e.data.previous} -> ${e.data.state} (${e.data.cause})` };
    case 'risk_command':
      return { ...base(e), strategy_id: null, instrument_token: null, side: null, quantity: null, price: null, reason_code: `${e.data.command} by ${e.data.operator}` };
    default:
      return undefined;
  }
}
