import type { Clock } from '../clock.ts';
import { KiteError } from '../errors.ts';
import type { ExecutionClient, ExecutionResult, OrderRequest } from '../execution/client.ts';
import { orderTag } from '../execution/order-tag.ts';
import type { InstrumentCatalogue } from '../market/instruments.ts';
import type { Logger } from '../log.ts';
import { toPaise } from '../money.ts';
import type { KiteApi, PlaceOrder } from './kite-api.ts';
import type { LiveOrders } from './live-orders.ts';
import type { KiteSession } from './session.ts';

export interface ZerodhaClientOptions {
  readonly api: KiteApi;
  readonly session: KiteSession;
  readonly orders: LiveOrders;
  readonly catalogue: InstrumentCatalogue;
  readonly clock: Clock;
  readonly log: Logger;
  /** Tries of one placement through 429s and network faults. */
  readonly attempts: number;
  /** How long a placement Kite did not answer may still become an order. */
  readonly settleMs: number;
  /** Signals older than this are not ordered live. */
  readonly maxSignalAgeMs: number;
}

/** Waits after a retriable failure: 429s wait out Kite's second; other faults back off from 250 ms. */
const pause = (e: KiteError, attempt: number) => (e.rateLimited ? 1000 : 250 * 2 ** (attempt - 1));

/**
 * Live orders on Kite. Every order carries a tag derived from its signal, and the tag is looked up in the
 * day's orders before a placement is tried again: Kite has no idempotency key, so a placement that went
 * unanswered (a timeout, a dropped connection, the process killed) may have made an order, and placing
 * again would make a second. The order book is also read at start-up (reconciliation), so a signal
 * executed again after a crash finds its order and adopts it. The order's fills come later, from the
 * order tracker; this client only places.
 */
export class ZerodhaClient implements ExecutionClient {
  readonly namespace = 'zerodha' as const;
  readonly live = true;
  private readonly o: ZerodhaClientOptions;
  private reading: { readonly at: number; readonly done: Promise<void> } | undefined;

  constructor(o: ZerodhaClientOptions) {
    this.o = o;
  }

  async execute({ signal, quantity }: OrderRequest): Promise<ExecutionResult> {
    const token = signal.instrument_token;
    const tag = orderTag(signal.signal_id);
    const price = toPaise(signal.price);
    const adopt = (orderId: string): ExecutionResult => {
      this.o.log.warn({ signal: signal.signal_id, order: orderId, tag }, 'the order of this signal is already at Kite: adopted, not placed again');
      return { kind: 'placed', orderId, tag, price };
    };
    const known = this.o.orders.orderOfTag(tag);
    if (known) return adopt(known);
    if (this.sessionGone()) return this.expired(this.sessionGone()!);
    const instrument = this.o.catalogue.get(token);
    if (!instrument?.tradable) return { kind: 'failed', orderId: null, code: 'BROKER_REJECTED', message: `instrument ${token} cannot be ordered` };
    const params: PlaceOrder = {
      exchange: instrument.exchange,
      tradingsymbol: instrument.symbol,
      transaction_type: signal.signal_type,
      quantity,
      product: instrument.kind === 'future' ? 'NRML' : 'MIS',
      order_type: 'MARKET',
      validity: 'DAY',
      tag,
    };
    const age = this.o.clock.now() - Date.parse(signal.timestamp);
    if (age > this.o.maxSignalAgeMs) return { kind: 'failed', orderId: null, code: 'STALE_SIGNAL', message: `the signal is ${Math.round(age / 1000)} s old (zerodha.maxSignalAgeMs ${this.o.maxSignalAgeMs / 1000} s): a market order on its price is not sent` };
    for (let attempt = 1; ; attempt++) {
      const gone = this.sessionGone();
      if (gone) return this.expired(gone);
      const found = await this.settle(tag);
      if (found) return adopt(found);
      try {
        const orderId = await this.o.api.placeOrder(params);
        this.o.orders.know(orderId, tag);
        return { kind: 'placed', orderId, tag, price };
      } catch (e) {
        if (!(e instanceof KiteError)) throw e;
        if (e.sessionExpired) return this.expired(e.message);
        if (!e.retriable) return { kind: 'failed', orderId: null, code: 'BROKER_REJECTED', message: e.message };
        // A 429 is refused before Kite looks at the order; anything else may have made it.
        if (!e.rateLimited) this.o.orders.doubt(tag, this.o.clock.now());
        if (attempt >= this.o.attempts) {
          const late = await this.settle(tag);
          if (late) return adopt(late);
          return { kind: 'failed', orderId: null, code: e.rateLimited ? 'RATE_LIMITED' : 'BROKER_UNAVAILABLE', message: `${e.message} (after ${attempt} tries; no order with the tag ${tag} at Kite)` };
        }
        this.o.log.warn({ signal: signal.signal_id, attempt, err: e.message }, 'placement failed: retrying');
        await new Promise<void>((r) => this.o.clock.schedule(pause(e, attempt), r));
      }
    }
  }

  /**
   * Whether an order with this tag may exist: until Kite's order book has been read after a start (an
   * order from before a restart), or while a placement Kite did not answer may still become an order (for
   * zerodha.settleMs after it). Then the book is read, after that window, and a tag it lacks did not become
   * an order. Resolves with the order's id when there is one; a book that cannot be read throws (retriable):
   * nothing is placed blind.
   */
  private async settle(tag: string): Promise<string | undefined> {
    const known = this.o.orders.orderOfTag(tag);
    if (known) return known;
    const doubted = this.o.orders.doubtedAt(tag);
    if (this.o.orders.synced && doubted === undefined) return undefined;
    const settled = doubted === undefined ? 0 : doubted + this.o.settleMs;
    const wait = settled - this.o.clock.now();
    if (wait > 0) await new Promise<void>((r) => this.o.clock.schedule(wait, r));
    const found = await this.lookUp(tag, settled);
    this.o.orders.resolved(tag);
    return found;
  }

  /**
   * The order with this tag in the day's order book, read no earlier than `since` (a read begun before a
   * placement failed may not show that placement). Concurrent look-ups share one read of the book.
   */
  private async lookUp(tag: string, since: number): Promise<string | undefined> {
    if (!this.reading || this.reading.at < since) {
      const read = { at: this.o.clock.now(), done: this.readBook() };
      this.reading = read;
      void read.done.finally(() => this.reading === read && (this.reading = undefined)).catch(() => undefined);
    }
    await this.reading.done;
    return this.o.orders.orderOfTag(tag);
  }

  /** Reads the day's orders; a read that fails is retried (it places nothing), then throws, retriable. */
  private async readBook(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        for (const o of await this.o.api.orders()) this.o.orders.know(o.order_id, o.tag);
        this.o.orders.synced = true;
        return;
      } catch (e) {
        if (!(e instanceof KiteError) || !e.retriable || attempt >= this.o.attempts * 2) throw e;
        await new Promise<void>((r) => this.o.clock.schedule(pause(e, attempt), r));
      }
    }
  }

  /** Why there is no session now, or undefined while there is one (it can end during any request). */
  private sessionGone(): string | undefined {
    const s = this.o.session.current;
    return s.kind === 'active' ? undefined : s.why;
  }

  private expired(why: string): ExecutionResult {
    this.o.log.error({ why }, 'live order refused: no Kite session (SESSION_EXPIRED)');
    return { kind: 'failed', orderId: null, code: 'SESSION_EXPIRED', message: `no live Kite session (${why}): log in again to resume live trading (alpha-panda session login)` };
  }
}
