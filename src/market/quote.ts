import type { MarketTick } from '../contracts/events.ts';
import { msOf } from '../iso-time.ts';
import { toPaise, type Paise } from '../money.ts';

/** What is known of one instrument's market: the price cache's state, in paise. */
export interface Quote {
  readonly instrumentToken: number;
  readonly last: Paise;
  /** Best bid and ask from the tick's depth, when it had any. */
  readonly bid: Paise | undefined;
  readonly ask: Paise | undefined;
  readonly volume: number;
  /** Exchange time of the tick, ms since the epoch. */
  readonly exchangeTs: number;
  /** From the simulator: no exchange session applies to it. */
  readonly simulated: boolean;
}

/** A depth level with something at it (Kite sends empty levels as zeros). One function, not a closure per tick. */
const isLive = (l: { readonly quantity: number; readonly price: number }) => l.quantity > 0 && l.price > 0;

/** The quote a tick establishes. Pure: the price cache and the strategy shell both use it. */
export function quoteOf(tick: MarketTick): Quote {
  const bid = tick.depth?.buy.find(isLive);
  const ask = tick.depth?.sell.find(isLive);
  return {
    instrumentToken: tick.instrument_token,
    last: toPaise(tick.last_price),
    bid: bid ? toPaise(bid.price) : undefined,
    ask: ask ? toPaise(ask.price) : undefined,
    volume: tick.volume,
    exchangeTs: msOf(tick.exchange_timestamp),
    simulated: tick.simulated === true,
  };
}

/** A quote older than `staleAfterMs` at `now` (both in event time) must not price an order. */
export function isStale(quote: Quote, now: number, staleAfterMs: number): boolean {
  return now - quote.exchangeTs > staleAfterMs;
}

/** The wire form carried inside a trading signal (rupees, ISO time). */
export interface WireQuote {
  last_price: number;
  best_bid?: number | undefined;
  best_ask?: number | undefined;
  exchange_timestamp: string;
  simulated?: true | undefined;
}

export function toWire(q: Quote): WireQuote {
  return {
    last_price: q.last / 100,
    ...(q.bid !== undefined ? { best_bid: q.bid / 100 } : {}),
    ...(q.ask !== undefined ? { best_ask: q.ask / 100 } : {}),
    exchange_timestamp: new Date(q.exchangeTs).toISOString(),
    ...(q.simulated ? { simulated: true as const } : {}),
  };
}

export function fromWire(token: number, w: WireQuote): Quote {
  return {
    instrumentToken: token,
    last: toPaise(w.last_price),
    bid: w.best_bid !== undefined ? toPaise(w.best_bid) : undefined,
    ask: w.best_ask !== undefined ? toPaise(w.best_ask) : undefined,
    volume: 0,
    exchangeTs: Date.parse(w.exchange_timestamp),
    simulated: w.simulated === true,
  };
}
