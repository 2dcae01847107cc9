import type { Envelope } from '../contracts/envelope.ts';
import type { FailureCode } from '../contracts/events.ts';
import { toPaise, type Paise } from '../money.ts';
import type { KiteTrade } from './kite-api.ts';

/** A live order being followed to its end: what of it has become events so far. */
export interface LiveOrder {
  readonly orderId: string;
  readonly tag: string | null;
  /** The order_placed event its fills are caused by; absent for an order seen at Kite but not placed here. */
  placed: Envelope<'order_placed'> | undefined;
  /** Kite trade ids already made into order_filled events. */
  readonly trades: Set<string>;
  filled: number;
  /** Paise filled so far: what the next part's charges are reckoned from. */
  turnover: Paise;
  /** A fill of the whole quantity, or an order_failed for the rest, has been made. */
  ended: boolean;
}

/** Kite statuses after which nothing more fills. */
export const FINAL = new Set(['COMPLETE', 'REJECTED', 'CANCELLED']);

export interface Progress {
  /** Trades not yet made into fills, oldest first. */
  readonly trades: readonly KiteTrade[];
  /** The order ended short of its quantity: the rest fails with Kite's reason. */
  readonly failed?: { readonly code: FailureCode; readonly quantity: number; readonly message: string };
}

/**
 * What an order's trades and status say that its events do not yet: pure. Trades are Kite's own
 * (one per exchange fill, each with its trade id), so a trade seen again by poll, postback and
 * WebSocket alike is one fill.
 */
export function progressOf(order: LiveOrder, trades: readonly KiteTrade[], status: { readonly status: string; readonly message?: string | null | undefined; readonly filled: number }): Progress {
  if (order.ended || !order.placed) return { trades: [] };
  const fresh = trades.filter((t) => t.order_id === order.orderId && !order.trades.has(t.trade_id)).sort((a, b) => (a.fill_timestamp ?? 0) - (b.fill_timestamp ?? 0));
  const seen = order.filled + fresh.reduce((n, t) => n + t.quantity, 0);
  // Kite's trade book can lag its order book: the rest fails only once every trade it counts is here.
  const rest = order.placed.data.quantity - status.filled;
  if (rest <= 0 || seen < status.filled || (status.status !== 'REJECTED' && status.status !== 'CANCELLED')) return { trades: fresh };
  const code: FailureCode = status.status === 'REJECTED' ? 'BROKER_REJECTED' : 'BROKER_CANCELLED';
  return { trades: fresh, failed: { code, quantity: rest, message: status.message || `Kite: ${status.status.toLowerCase()} with ${rest} of ${order.placed.data.quantity} unfilled` } };
}

/**
 * The live orders of the day this process knows of, by Kite order id and by tag: what the execution
 * client looks a tag up in before it places (so no signal is ordered twice), and what the order tracker
 * follows to the end.
 */
export class LiveOrders {
  private readonly byId = new Map<string, LiveOrder>();
  private readonly byTag = new Map<string, string>();
  /** The day's order book at Kite has been read since start: a tag not found here is not at Kite. */
  synced = false;
  /** Tags whose placement Kite did not answer, with when: the order may exist. */
  private readonly doubted = new Map<string, number>();

  get(orderId: string): LiveOrder | undefined {
    return this.byId.get(orderId);
  }

  orderOfTag(tag: string): string | undefined {
    return this.byTag.get(tag);
  }

  /** A placement with this tag went unanswered at `at`. */
  doubt(tag: string, at: number): void {
    this.doubted.set(tag, at);
  }

  doubtedAt(tag: string): number | undefined {
    return this.doubted.get(tag);
  }

  /** The book was read after the tag's doubt settled: it is known now, one way or the other. */
  resolved(tag: string): void {
    this.doubted.delete(tag);
  }

  /** An order seen at Kite (the day's order book): its tag now finds it. */
  know(orderId: string, tag: string | null | undefined): LiveOrder {
    let o = this.byId.get(orderId);
    if (!o) this.byId.set(orderId, (o = { orderId, tag: tag ?? null, placed: undefined, trades: new Set(), filled: 0, turnover: 0, ended: false }));
    if (tag) this.byTag.set(tag, orderId);
    return o;
  }

  /** An order placed here (or adopted): followed until it ends. */
  follow(placed: Envelope<'order_placed'>): LiveOrder {
    const o = this.know(placed.data.order_id, placed.data.tag);
    o.placed ??= placed;
    return o;
  }

  /** Records a recorded fill against the order (at start, from the ledger; while running, once in it); false when it already was. */
  applied(o: LiveOrder, fill: { readonly fillId: string; readonly quantity: number; readonly price: Paise }): boolean {
    if (o.trades.has(fill.fillId)) return false;
    o.trades.add(fill.fillId);
    o.filled += fill.quantity;
    o.turnover += fill.price * fill.quantity;
    if (o.placed && o.filled >= o.placed.data.quantity) o.ended = true;
    return true;
  }

  /** Orders placed here that have not ended. */
  open(): LiveOrder[] {
    return [...this.byId.values()].filter((o) => o.placed && !o.ended);
  }

  get size(): number {
    return this.byId.size;
  }
}

export const tradePrice = (t: KiteTrade): Paise => toPaise(t.average_price);
