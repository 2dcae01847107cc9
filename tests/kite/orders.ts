import { orderError } from './http.ts';
import type { KiteInstrument } from './instruments.ts';
import { istDateTime, istTime, istYymmdd } from './ist.ts';
import type { Market } from './market.ts';
import { atMarket, isStop, parseModification, type OrderRequest, type OrderType, type Side, type Validity } from './order-params.ts';
import { clean } from './prices.ts';
import type { Timers } from './timers.ts';

/** An order as GET /orders shows it (tests/fixtures/kite/orders.json); `tags` only when it has a tag, as there. */
export interface KiteOrder {
  account_id: string;
  placed_by: string;
  order_id: string;
  exchange_order_id: string | null;
  parent_order_id: null;
  status: string;
  status_message: string | null;
  status_message_raw: string | null;
  order_timestamp: string;
  exchange_update_timestamp: string | null;
  exchange_timestamp: string | null;
  variety: 'regular';
  modified: boolean;
  exchange: string;
  tradingsymbol: string;
  instrument_token: number;
  order_type: OrderType;
  transaction_type: Side;
  validity: Validity;
  validity_ttl: number;
  product: string;
  quantity: number;
  disclosed_quantity: number;
  price: number;
  trigger_price: number;
  average_price: number;
  filled_quantity: number;
  pending_quantity: number;
  cancelled_quantity: number;
  market_protection: number;
  meta: Record<string, never>;
  tag: string | null;
  tags?: string[];
  guid: null;
}

/** A fill as GET /trades shows it (tests/fixtures/kite/trades.json). */
export interface KiteTrade {
  trade_id: string;
  order_id: string;
  exchange: string;
  tradingsymbol: string;
  instrument_token: number;
  product: string;
  average_price: number;
  quantity: number;
  exchange_order_id: string;
  transaction_type: Side;
  fill_timestamp: string;
  /** Kite gives only the time of day here. */
  order_timestamp: string;
  exchange_timestamp: string;
}

interface Entry {
  readonly order: KiteOrder;
  readonly instrument: KiteInstrument;
  readonly history: KiteOrder[];
  modifications: number;
  /** The pending slice of a MARKET (or triggered SL-M) order being filled, and the slices after it. */
  fillTimer: NodeJS.Timeout | undefined;
  slices: number[];
}

export interface OrderBookOptions {
  readonly market: Market;
  readonly timers: Timers;
  readonly userId: string;
  readonly fillDelayMs: number;
  readonly partialFills: number;
  readonly modificationsPerOrder: number;
  /** Every history entry; `event` is the postback's status (UPDATE for a partial fill or a modification). */
  readonly onUpdate: (order: KiteOrder, event: string) => void;
}

/** A forced rejection (faults.rejectNext): its status_message, or undefined for the default RMS one. */
export type Rejection = { readonly reason: string | undefined };

const LIVE = ['OPEN', 'TRIGGER PENDING'];
export const FINAL_STATUSES = ['COMPLETE', 'CANCELLED', 'REJECTED'];

/**
 * The day's orders and trades, driven by the market: PUT ORDER REQ RECEIVED, then (a turn of the event
 * loop later, as the OMS is asynchronous) VALIDATION PENDING, OPEN PENDING, OPEN or TRIGGER PENDING,
 * then COMPLETE, CANCELLED or REJECTED. Liquidity at the touch is unlimited.
 */
export class OrderBook {
  private readonly o: OrderBookOptions;
  private readonly entries = new Map<string, Entry>();
  private readonly fills: KiteTrade[] = [];
  private orderSequence = 0;
  private exchangeSequence = 0;

  constructor(options: OrderBookOptions) {
    this.o = options;
  }

  place(r: OrderRequest, rejection: Rejection | undefined): string {
    const now = Date.now();
    const id = `${istYymmdd(now)}${String(++this.orderSequence).padStart(9, '0')}`;
    const i = r.instrument;
    const order: KiteOrder = {
      account_id: this.o.userId,
      placed_by: this.o.userId,
      order_id: id,
      exchange_order_id: null,
      parent_order_id: null,
      status: 'PUT ORDER REQ RECEIVED',
      status_message: null,
      status_message_raw: null,
      order_timestamp: istDateTime(now),
      exchange_update_timestamp: null,
      exchange_timestamp: null,
      variety: r.variety,
      modified: false,
      exchange: i.exchange,
      tradingsymbol: i.tradingsymbol,
      instrument_token: i.instrument_token,
      order_type: r.order_type,
      transaction_type: r.transaction_type,
      validity: r.validity,
      validity_ttl: 0,
      product: r.product,
      quantity: r.quantity,
      disclosed_quantity: r.disclosed_quantity,
      price: r.price,
      trigger_price: r.trigger_price,
      average_price: 0,
      filled_quantity: 0,
      pending_quantity: r.quantity,
      cancelled_quantity: 0,
      market_protection: r.market_protection,
      meta: {},
      tag: r.tag,
      ...(r.tag === null ? {} : { tags: [r.tag] }),
      guid: null,
    };
    const entry: Entry = { order, instrument: i, history: [], modifications: 0, fillTimer: undefined, slices: [] };
    this.entries.set(id, entry);
    this.record(entry);
    this.o.timers.after(0, () => this.validate(entry, rejection));
    return id;
  }

  modify(orderId: string, p: URLSearchParams): void {
    const entry = this.entry(orderId);
    const o = entry.order;
    if (!LIVE.includes(o.status)) throw orderError(`Order cannot be modified as it is ${describe(o.status)}.`);
    if (entry.modifications >= this.o.modificationsPerOrder) throw orderError('Maximum allowed order modifications exceeded.');
    const terms = parseModification(p, o, entry.instrument, this.o.market);
    entry.modifications++;
    const resume = o.status;
    this.stopFilling(entry);
    this.transition(entry, 'MODIFY VALIDATION PENDING');
    this.transition(entry, 'MODIFY PENDING');
    Object.assign(o, terms, { pending_quantity: terms.quantity - o.filled_quantity, modified: true, order_timestamp: istDateTime(Date.now()) });
    this.transition(entry, resume, 'UPDATE');
    this.evaluate(entry, true);
  }

  cancel(orderId: string): void {
    const entry = this.entry(orderId);
    const o = entry.order;
    if (!LIVE.includes(o.status)) throw orderError(`Order cannot be cancelled as it is ${describe(o.status)}.`);
    this.cancelRemaining(entry);
  }

  /** The market moved: resting orders on the instrument that it crosses execute. */
  onQuote(token: number): void {
    for (const entry of this.entries.values()) {
      if (entry.order.instrument_token === token && LIVE.includes(entry.order.status)) this.evaluate(entry, false);
    }
  }

  orders(): KiteOrder[] {
    return [...this.entries.values()].map((e) => structuredClone(e.order));
  }

  history(orderId: string): KiteOrder[] {
    return structuredClone(this.entry(orderId).history);
  }

  trades(orderId?: string): KiteTrade[] {
    if (orderId !== undefined) this.entry(orderId);
    return structuredClone(orderId === undefined ? this.fills : this.fills.filter((t) => t.order_id === orderId));
  }

  private entry(orderId: string): Entry {
    const entry = this.entries.get(orderId);
    if (!entry) throw orderError("Couldn't find that `order_id`.");
    return entry;
  }

  private validate(entry: Entry, rejection: Rejection | undefined): void {
    this.transition(entry, 'VALIDATION PENDING');
    const o = entry.order;
    const state = this.o.market.state(o.instrument_token);
    if (rejection) {
      const required = (o.price || state?.ask || 0) * o.quantity;
      const reason = rejection.reason ?? `Insufficient funds. Required margin is ${required.toFixed(2)} but available margin is 0.00. Check the orderbook for open orders.`;
      const raw = rejection.reason ?? `RMS:Margin Exceeds,Required:${required.toFixed(2)}, Available:0.00 for entity account-${this.o.userId} across exchange across segment across product `;
      return this.reject(entry, reason, raw);
    }
    if (atMarket(o.order_type) && !state) return this.reject(entry, 'Market orders cannot be placed: the instrument has no last traded price.');
    this.transition(entry, 'OPEN PENDING');
    const now = Date.now();
    o.exchange_order_id = `13${String(++this.exchangeSequence).padStart(14, '0')}`;
    o.exchange_timestamp = istDateTime(now);
    this.transition(entry, isStop(o.order_type) ? 'TRIGGER PENDING' : 'OPEN');
    this.evaluate(entry, true);
  }

  private reject(entry: Entry, message: string, raw = message): void {
    Object.assign(entry.order, { status_message: message, status_message_raw: raw, pending_quantity: 0 });
    this.transition(entry, 'REJECTED');
  }

  /**
   * Executes what the market allows. `arriving`: the order reaches the exchange now (opened, modified or
   * triggered), so a marketable LIMIT takes the touch and an IOC's unmatched rest is cancelled; a resting
   * LIMIT that the market comes to fills at its own price.
   */
  private evaluate(entry: Entry, arriving: boolean): void {
    const o = entry.order;
    const s = this.o.market.state(o.instrument_token);
    if (!s) return;
    if (o.status === 'TRIGGER PENDING') {
      if (o.transaction_type === 'BUY' ? s.last_price < o.trigger_price : s.last_price > o.trigger_price) return;
      this.transition(entry, 'OPEN');
      arriving = true;
    }
    if (o.status !== 'OPEN') return;
    if (atMarket(o.order_type)) {
      if (entry.fillTimer === undefined) this.fillAtMarket(entry);
      return;
    }
    const touch = o.transaction_type === 'BUY' ? s.ask : s.bid;
    if (o.transaction_type === 'BUY' ? touch <= o.price : touch >= o.price) this.fill(entry, o.pending_quantity, arriving ? touch : o.price);
    else if (arriving && o.validity === 'IOC') this.cancelRemaining(entry);
  }

  /** After fillDelayMs, in `partialFills` trades (whole lots, fillDelayMs apart), each at the touch of its moment. */
  private fillAtMarket(entry: Entry): void {
    const lots = entry.order.pending_quantity / entry.instrument.lot_size;
    const n = Math.max(1, Math.min(this.o.partialFills, lots));
    entry.slices = Array.from({ length: n }, (_, k) => (Math.floor((lots * (k + 1)) / n) - Math.floor((lots * k) / n)) * entry.instrument.lot_size);
    const next = (): void => {
      entry.fillTimer = this.o.timers.after(this.o.fillDelayMs, () => {
        entry.fillTimer = undefined;
        const s = this.o.market.state(entry.order.instrument_token)!;
        this.fill(entry, entry.slices.shift()!, entry.order.transaction_type === 'BUY' ? s.ask : s.bid);
        if (entry.slices.length > 0) next();
      });
    };
    next();
  }

  private fill(entry: Entry, quantity: number, price: number): void {
    const o = entry.order;
    const now = Date.now();
    this.fills.push({
      trade_id: String(this.fills.length + 1).padStart(8, '0'),
      order_id: o.order_id,
      exchange: o.exchange,
      tradingsymbol: o.tradingsymbol,
      instrument_token: o.instrument_token,
      product: o.product,
      average_price: price,
      quantity,
      exchange_order_id: o.exchange_order_id!,
      transaction_type: o.transaction_type,
      fill_timestamp: istDateTime(now),
      order_timestamp: istTime(now),
      exchange_timestamp: istDateTime(now),
    });
    o.average_price = clean((o.average_price * o.filled_quantity + price * quantity) / (o.filled_quantity + quantity));
    o.filled_quantity += quantity;
    o.pending_quantity -= quantity;
    if (o.pending_quantity === 0) this.transition(entry, 'COMPLETE');
    else this.transition(entry, 'OPEN', 'UPDATE');
  }

  /** Kite keeps pending_quantity on a cancelled order and reports the cancelled rest in cancelled_quantity. */
  private cancelRemaining(entry: Entry): void {
    this.stopFilling(entry);
    entry.order.cancelled_quantity = entry.order.pending_quantity;
    this.transition(entry, 'CANCELLED');
  }

  private stopFilling(entry: Entry): void {
    this.o.timers.cancel(entry.fillTimer);
    entry.fillTimer = undefined;
    entry.slices = [];
  }

  private transition(entry: Entry, status: string, event = status): void {
    entry.order.status = status;
    if (entry.order.exchange_order_id !== null) entry.order.exchange_update_timestamp = istDateTime(Date.now());
    this.record(entry, event);
  }

  private record(entry: Entry, event = entry.order.status): void {
    const snapshot = structuredClone(entry.order);
    entry.history.push(snapshot);
    this.o.onUpdate(structuredClone(snapshot), event);
  }
}

function describe(status: string): string {
  return FINAL_STATUSES.includes(status) ? `in ${status} state` : 'being processed. Try later';
}
