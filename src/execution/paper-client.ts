import { z } from 'zod';
import type { InstrumentCatalogue } from '../market/instruments.ts';
import { istDate } from '../market/market-hours.ts';
import type { PriceBook } from '../market/price-book.ts';
import { toPaise } from '../money.ts';
import { uniformFor } from '../random.ts';
import type { ExecutionClient, ExecutionResult, OrderRequest } from './client.ts';
import { feeSegmentOf, type FeeModel } from './fees.ts';
import { paperFillPrice } from './fills.ts';
import { orderTag } from './order-tag.ts';

export const PaperSettings = z.strictObject({
  slippageBps: z.number().min(0).max(500),
  /** Seeds the slippage draws: the same seed and the same signals give the same fills. */
  seed: z.string().min(1),
});
export type PaperSettings = z.infer<typeof PaperSettings>;


/**
 * The paper broker: fills at once at the price cache's price plus slippage, charged by the fee schedule
 * in force on the trade date. Deterministic in the signal: the same signal always gets the same order id
 * and the same fill (the slippage draw depends on the seed and the signal's content, not on arrival
 * order), so executing a redelivered signal again after a restart makes a fill that is recognised and
 * applied once downstream.
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
    const orderId = `PAPER-${signal.signal_id}`;
    const market = quote ?? this.prices.get(token);
    if (!market) return { kind: 'failed', orderId: null, code: 'NO_PRICE', message: `no known price for instrument ${token}: the price cache has not seen a tick` };
    const instrument = this.instruments.get(token);
    if (!instrument || !instrument.tradable) return { kind: 'failed', orderId: null, code: 'BROKER_REJECTED', message: `instrument ${token} cannot be ordered` };
    const u = uniformFor(this.settings.seed, `${signal.strategy_id}|${token}|${signal.signal_type}|${signal.timestamp}|${quantity}`);
    const fillPrice = paperFillPrice(signal.signal_type, market, instrument.tick, this.settings.slippageBps, u);
    const tradeDate = istDate(Date.parse(signal.timestamp));
    const segment = feeSegmentOf(instrument);
    const charges = this.fees(signal.signal_type, fillPrice * quantity, segment, tradeDate);
    if (!charges) return { kind: 'failed', orderId: null, code: 'NO_FEE_SCHEDULE', message: `no ${segment} fee schedule was in force on ${tradeDate}: add one to fees` };
    return { kind: 'filled', orderId, tag: orderTag(signal.signal_id), price: toPaise(signal.price), fills: [{ fillId: '1', quantity, price: fillPrice, charges }] };
  }
}
