import type { TickChunk } from '../src/fanout/tick-block.ts';
import type { MarketTick } from '../src/contracts/events.ts';
import type { AnyEnvelope } from '../src/contracts/envelope.ts';
import { msOf } from '../src/iso-time.ts';
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

export type PriceCacheMessage = AnyEnvelope | TickChunk | PriceQuery;

/**
 * Whether time `a` is before `b`. Two UTC times as toISOString writes them (24 characters, 'Z') compare
 * as strings, which costs no parse; any other form is parsed.
 */
function isEarlier(a: string, b: string): boolean {
  if (a.length === 24 && b.length === 24 && a.charCodeAt(23) === 90 && b.charCodeAt(23) === 90) return a < b;
  return msOf(a) < msOf(b);
}

/**
 * One instrument's price cache: last price, best bid/ask from depth, volume, exchange time. It publishes
 * each new quote to the shared price book (the synchronous read view) and answers queries. An older
 * tick arriving late never replaces a newer quote. Of a chunk of ticks only the newest makes a quote:
 * nothing reads the ones in between (times compared as numbers, each distinct string parsed once).
 */
export function priceCache(book: PriceBook): Behaviour<Quote | undefined, PriceCacheMessage> {
  const take = (quote: Quote | undefined, tick: MarketTick): Quote | undefined => {
    if (quote && msOf(tick.exchange_timestamp) < quote.exchangeTs) return quote;
    const next = quoteOf(tick);
    book.publish(next);
    return next;
  };
  return {
    init: () => undefined,
    receive(quote, message) {
      if ('batched' in message) {
        const { block, indexes } = message;
        let newest: MarketTick | undefined;
        for (let i = message.next; i < indexes.length; i++) {
          const tick = block.ticks[indexes[i]!]!;
          // Ties go to the later tick, as one by one they would.
          if (!newest || !isEarlier(tick.exchange_timestamp, newest.exchange_timestamp)) newest = tick;
        }
        const next = newest ? take(quote, newest) : quote;
        // Handled only now: a throw above leaves the chunk whole for the restart.
        message.next = indexes.length;
        return next;
      }
      if ('kind' in message) {
        message.reply({ quote, stale: !quote || isStale(quote, message.now, message.staleAfterMs) });
        return quote;
      }
      if (message.type !== 'market_tick') return quote;
      return take(quote, message.data);
    },
  };
}
