import { roundToTick, type Paise } from '../money.ts';
import type { Quote } from '../market/quote.ts';

/**
 * The paper fill price: the touch when depth is known (best ask to buy, best bid to sell), else the last
 * price; moved against the order by up to `slippageBps` (u in [0, 1) picks how far); rounded to the
 * instrument's tick against the order (a buy rounds up, a sell down). Pure.
 */
export function paperFillPrice(side: 'BUY' | 'SELL', quote: Quote, tick: Paise, slippageBps: number, u: number): Paise {
  const base = side === 'BUY' ? (quote.ask ?? quote.last) : (quote.bid ?? quote.last);
  const slip = (base * slippageBps * u) / 10_000;
  if (side === 'BUY') return roundToTick(Math.ceil(base + slip), tick, 'up');
  const price = roundToTick(Math.floor(base - slip), tick, 'down');
  return Math.max(price, tick);
}
