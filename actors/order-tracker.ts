import { createEvent, type AnyEnvelope, type Envelope } from '../src/contracts/envelope.ts';
import type { OrderFilled } from '../src/contracts/events.ts';
import { topicsFor } from '../src/contracts/topics.ts';
import type { ChainStore } from '../src/db/chain-store.ts';
import { KiteError } from '../src/errors.ts';
import { feeSegmentOf, partCharges, type FeeModel } from '../src/execution/fees.ts';
import { derivedId } from '../src/ids.ts';
import type { InstrumentCatalogue } from '../src/market/instruments.ts';
import { istDate } from '../src/market/market-hours.ts';
import { toPaise, toRupees } from '../src/money.ts';
import type { Behaviour, Output } from '../src/runtime/actor-ref.ts';
import type { SignalToFill } from '../src/telemetry/signal-to-fill.ts';
import type { PipelineStats } from '../src/telemetry/stats.ts';
import type { KiteApi } from '../src/zerodha/kite-api.ts';
import { FINAL, progressOf, tradePrice, type LiveOrder, type LiveOrders } from '../src/zerodha/live-orders.ts';
import { feeBreakdown } from './execution.ts';

/**
 * What moves a live order on: its placement (from the execution actor), an update from Kite (a postback
 * or a WebSocket order frame, each saying only that something changed), or the poll of open orders that
 * catches whatever those missed.
 */
export type TrackerMessage =
  | { readonly kind: 'placed'; readonly event: Envelope<'order_placed'> }
  | { readonly kind: 'update'; readonly update: OrderUpdate; readonly via: 'postback' | 'websocket' }
  | { readonly kind: 'poll' };

/** What a postback or an order frame says of an order (checked: a postback by its checksum). */
export interface OrderUpdate {
  readonly orderId: string;
  readonly status: string;
  readonly message?: string | null | undefined;
  readonly filled: number;
}

export interface TrackerEnv {
  readonly api: KiteApi;
  readonly orders: LiveOrders;
  readonly fees: FeeModel;
  readonly catalogue: InstrumentCatalogue;
  readonly store: ChainStore;
  readonly stats: PipelineStats;
  /** Told when a poll has finished: the next is sent only then, so polls never queue up in an outage. */
  readonly polled?: () => void;
  /** Where each fill's signal-to-fill latency is recorded (the metrics), if anywhere. */
  readonly latency?: SignalToFill;
}

const topics = topicsFor('zerodha');
const source = 'execution/zerodha';

/**
 * The order tracker: follows each live order to its end and makes its events, one `order_filled` per Kite
 * trade (the trade id is the fill id, so a trade heard of by postback, WebSocket and poll is one fill)
 * charged as its part of the order, and an `order_failed` with Kite's reason for what a rejection or
 * cancellation left unfilled. All are caused by the order's `order_placed`, so they stay on its chain.
 * They are in the ledger before they are published. A Kite fault leaves the order open for the next poll.
 */
export function orderTracker(env: TrackerEnv): Behaviour<null, TrackerMessage> {
  const { api, orders, store, stats, latency } = env;
  return {
    init: () => null,
    async receive(state, message, ctx) {
      const publish = (topic: string, e: Envelope) => ctx.publish(topic, e);
      const now = ctx.clock.now();
      // One order's trouble (an answer that does not parse, a missing fee schedule) is that order's: logged,
      // and the order stays open; the others go on.
      const advanceOne = async (o: LiveOrder, status: Status) => {
        try {
          await advance(env, o, status, publish, now);
        } catch (e) {
          const retriable = e instanceof KiteError && (e.retriable || e.sessionExpired);
          ctx.log[retriable ? 'warn' : 'error']({ err: (e as Error).message, order: o.orderId }, retriable ? 'Kite did not answer about an open order: it is polled again' : 'an open order could not be followed: it is polled again');
        }
      };
      switch (message.kind) {
        case 'placed':
          orders.follow(message.event);
          return state;
        case 'update': {
          const u = message.update;
          const o = orders.get(u.orderId);
          if (o?.placed && !o.ended && (u.filled > o.filled || FINAL.has(u.status))) await advanceOne(o, { status: u.status, message: u.message, filled: u.filled });
          return state;
        }
        case 'poll':
          try {
            const open = orders.open();
            if (open.length === 0) return state;
            const book = new Map((await api.orders().catch((e: unknown) => (ctx.log.warn({ err: (e as Error).message }, 'Kite did not answer the order book: polled again'), []))).map((k) => [k.order_id, k]));
            for (const o of open) {
              const k = book.get(o.orderId);
              if (k && (k.filled_quantity > o.filled || FINAL.has(k.status))) await advanceOne(o, { status: k.status, message: k.status_message, filled: k.filled_quantity });
            }
            return state;
          } finally {
            env.polled?.();
          }
      }
    },
    /** In the ledger first; only then does the order's progress count (a failed batch is made again). */
    async afterBatch(state, _ctx, outputs: readonly Output[]) {
      const held = await store.record('zerodha', outputs.map((o) => o.event));
      for (const out of outputs) {
        out.event = held.get(out.event.id) ?? out.event;
        const e = out.event as AnyEnvelope;
        if (e.type === 'order_filled') {
          const o = orders.get(e.data.order_id);
          if (o && orders.applied(o, { fillId: e.data.fill_id, quantity: e.data.quantity, price: toPaise(e.data.fill_price) })) {
            stats.count('zerodha', e.data.strategy_id, 'fills');
            latency?.filled(e.correlation_id, Date.parse(e.ts));
          }
        } else if (e.type === 'order_failed' && e.data.order_id) {
          const o = orders.get(e.data.order_id);
          if (o && !o.ended) {
            o.ended = true;
            stats.fail('zerodha', e.data.strategy_id, e.data.reason_code);
            latency?.ended(e.correlation_id);
          }
        }
      }
      return state;
    },
  };
}

type Status = { readonly status: string; readonly message?: string | null | undefined; readonly filled: number };

/** Reads the order's trades and makes the events they and its status add (applied to the order once recorded). */
async function advance(env: TrackerEnv, o: LiveOrder, status: Status, publish: (topic: string, e: Envelope) => void, now: number): Promise<void> {
  const placed = o.placed!;
  const trades = await env.api.orderTrades(o.orderId);
  const p = progressOf(o, trades, status);
  const d = placed.data;
  const segment = feeSegmentOf(env.catalogue.get(d.instrument_token));
  let turnover = o.turnover;
  for (const t of p.trades) {
    const price = tradePrice(t);
    const tradeDay = istDate(t.fill_timestamp ?? now);
    const charges = partCharges(env.fees, d.signal_type, turnover, price * t.quantity, segment, tradeDay);
    if (!charges) throw new KiteError('DataException', `no ${segment} fee schedule was in force on ${tradeDay}: add one to fees`, { retriable: false });
    turnover += price * t.quantity;
    const data: OrderFilled = { ...base(placed), quantity: t.quantity, fill_id: t.trade_id, fill_price: toRupees(price), fees: toRupees(charges.total), fee_breakdown: feeBreakdown(charges), fee_schedule: charges.schedule };
    publish(topics.ordersFilled, createEvent({ type: 'order_filled', broker: 'zerodha', source, key: placed.key, data, cause: placed, now, id: derivedId(placed.id, 'fill', t.trade_id) }));
  }
  if (p.failed) {
    const data = { ...base(placed), quantity: p.failed.quantity, price: d.price, reason_code: p.failed.code, error_message: p.failed.message };
    publish(topics.ordersFailed, createEvent({ type: 'order_failed', broker: 'zerodha', source, key: placed.key, data, cause: placed, now, id: derivedId(placed.id, 'failed') }));
  }
}

/** The order's own fields, as its fills and failure repeat them. */
function base(placed: Envelope<'order_placed'>) {
  const { price: _price, tag: _tag, quantity: _quantity, ...order } = placed.data;
  return order;
}
