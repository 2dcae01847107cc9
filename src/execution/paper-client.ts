import { z } from 'zod';
import { toPaise } from '../money.ts';
import type { InstrumentCatalogue } from '../market/instruments.ts';
import type { PriceBook } from '../market/price-book.ts';
import { uniformFor } from '../random.ts';
import type { ExecutionClient, ExecutionResult, OrderRequest } from './client.ts';
import type { FeeModel } from './fees.ts';
import { paperFillPrice } from './fills.ts';

export const PaperSettings = z.strictObject({
  slippageBps: z.number().min(0).max(500),
  /** Seeds the slippage draws: the same seed and the same signals give the same fills. */
  seed: z.string().min(1),
});
export type PaperSettings = z.infer<typeof PaperSettings>;

/** Kite order tags are at most 20 alphanumerics; derived from the signal so a retry is recognisable. */
export function orderTag(signalId: string): string {
  return `ap${signalId.replace(/-/g, '').slice(0, 18)}`;
}

/**
 * The paper broker: fills at once at the price cache's price plus slippage, charges from the fee model.
 * The slippage draw depends on the seed and the signal's content (strategy, instrument, side, time), not
 * on arrival order, so a replay fills identically.
 */
export class PaperClient implements ExecutionClient {
  readonly namespace = 'paper' as const;
  readonly live = false;
  private readonly settings: PaperSettings;
  private readonly fees: FeeModel;
  private readonly instruments: InstrumentCatalogue;
  private readonly prices: PriceBook;

  constructor(settings: PaperSettings, fees: FeeModel, instruments: InstrumentCatalogue, prices: PriceBook) {
    this.settings = settings;
    this.fees = fees;
    this.instruments = instruments;
    this.prices = prices;
  }

  execute({ signal, quantity, quote }: OrderRequest): ExecutionResult {
    const token = signal.instrument_token;
    const market = quote ?? this.prices.get(token);
    if (!market) return { kind: 'failed', orderId: null, code: 'NO_PRICE', message: `no known price for instrument ${token}: the price cache has not seen a tick` };
    const instrument = this.instruments.get(token);
    if (!instrument) return { kind: 'failed', orderId: null, code: 'BROKER_REJECTED', message: `instrument ${token} is not in the instrument catalogue` };
    const u = uniformFor(this.settings.seed, `${signal.strategy_id}|${token}|${signal.signal_type}|${signal.timestamp}|${quantity}`);
    const fillPrice = paperFillPrice(signal.signal_type, market, instrument.tick, this.settings.slippageBps, u);
    const tag = orderTag(signal.signal_id);
    return { kind: 'filled', orderId: `PAPER-${signal.signal_id}`, tag, price: toPaise(signal.price), fillPrice, charges: this.fees(signal.signal_type, fillPrice * quantity) };
  }
}
