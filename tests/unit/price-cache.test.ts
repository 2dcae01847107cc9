import { describe, expect, it } from 'vitest';
import { priceCache, type PriceQuery } from '../../actors/price-cache.ts';
import type { ActorContext } from '../../src/runtime/actor-ref.ts';
import { PriceBook } from '../../src/market/price-book.ts';
import type { Quote } from '../../src/market/quote.ts';
import { tick } from '../support/harness.ts';

const ctx = {} as ActorContext<never>;
/** The price cache's receive is synchronous; the Behaviour type allows a promise for other actors. */
const step = (cache: ReturnType<typeof priceCache>, q: Quote | undefined, m: Parameters<ReturnType<typeof priceCache>['receive']>[1]) => cache.receive(q, m, ctx as never) as Quote | undefined;
const T = Date.UTC(2025, 7, 11, 5, 0);

describe('price cache (the behaviour, without an actor system)', () => {
  it('keeps last price, best bid/ask from depth, volume and exchange time, and publishes them to the price book', () => {
    const book = new PriceBook();
    const cache = priceCache(book);
    const t = tick(738561, 1385.5, T);
    const withDepth = { ...t, data: { ...t.data, volume: 420, depth: { buy: [{ price: 1385.4, quantity: 10, orders: 2 }], sell: [{ price: 1385.6, quantity: 0, orders: 0 }, { price: 1385.7, quantity: 5, orders: 1 }] } } };
    const q = step(cache, cache.init(), withDepth);
    expect(q).toMatchObject({ instrumentToken: 738561, last: 138_550, bid: 138_540, ask: 138_570, volume: 420, exchangeTs: T });
    expect(book.get(738561)).toBe(q);
  });

  it('does not let a late, older tick replace a newer quote', () => {
    const book = new PriceBook();
    const cache = priceCache(book);
    const newer = step(cache, undefined, tick(1, 101, T + 1000));
    expect(step(cache, newer, tick(1, 99, T))).toBe(newer);
    expect(book.get(1)!.last).toBe(10_100);
  });

  it('answers a query with its quote and whether it is stale at the given time', () => {
    const cache = priceCache(new PriceBook());
    const q = step(cache, undefined, tick(1, 100, T));
    const answers: unknown[] = [];
    const ask = (now: number): PriceQuery => ({ kind: 'price_query', now, staleAfterMs: 5000, reply: (a) => answers.push(a) });
    step(cache, q, ask(T + 4000));
    step(cache, q, ask(T + 6000));
    step(cache, undefined, ask(T));
    expect(answers).toEqual([{ quote: q, stale: false }, { quote: q, stale: true }, { quote: undefined, stale: true }]);
  });
});
