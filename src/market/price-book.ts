import type { Quote } from './quote.ts';

/**
 * The price caches' published state: each price-cache actor is the only writer of its instrument's
 * entry; risk, execution, portfolio and the status line read it synchronously. A read view, not a
 * message path: readers never block a cache and a cache never waits for a reader.
 */
export class PriceBook {
  private readonly quotes = new Map<number, Quote>();

  get(token: number): Quote | undefined {
    return this.quotes.get(token);
  }

  /** Called by the instrument's price-cache actor only. */
  publish(quote: Quote): void {
    this.quotes.set(quote.instrumentToken, quote);
  }
}
