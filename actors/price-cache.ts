import type { AnyEnvelope } from '../src/contracts/envelope.ts';
import type { PriceBook } from '../src/market/price-book.ts';
import { isStale, quoteOf, type Quote } from '../src/market/quote.ts';
import type { Behaviour } from '../src/runtime/actor-ref.ts';

/** Asks a price cache for its quote; `stale` is judged at `now` (event time). */
export interface PriceQuery {
  readonly kind: 'price_query';
  readonly now: number;
  readonly staleAfterMs: number;
  readonly reply: (answer: { quote: Quote | undefined; stale: boolean }) => void;
}

export type PriceCacheMessage = AnyEnvelope | PriceQuery;

/**
 * One instrument's price cache: last price, best bid/ask from depth, volume, exchange time. It publishes
 * each new quote to the shared price book (the synchronous read view) and answers queries. An older
 * tick arriving late never replaces a newer quote.
 */
export function priceCache(book: PriceBook): Behaviour<Quote | undefined, PriceCacheMessage> {
  return {
    init: () => undefined,
    receive(quote, message) {
      if ('kind' in message) {
        message.reply({ quote, stale: !quote || isStale(quote, message.now, message.staleAfterMs) });
        return quote;
      }
      if (message.type !== 'market_tick') return quote;
      const next = quoteOf(message.data);
      if (quote && next.exchangeTs < quote.exchangeTs) return quote;
      book.publish(next);
      return next;
    },
  };
}
