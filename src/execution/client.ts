import type { FailureCode, TradingSignal } from '../contracts/events.ts';
import type { BrokerNamespace } from '../contracts/topics.ts';
import type { Quote } from '../market/quote.ts';
import type { Paise } from '../money.ts';
import type { Charges } from './fees.ts';

/** What the execution actor asks a client to do: one validated order. */
export interface OrderRequest {
  readonly signal: TradingSignal;
  readonly quantity: number;
  /** The market the signal was priced on; the client may look up a fresher one. */
  readonly quote: Quote | undefined;
}

/** One fill of an order: a broker may fill an order in parts, each with its own id. */
export interface Fill {
  readonly fillId: string;
  readonly quantity: number;
  readonly price: Paise;
  readonly charges: Charges;
}

export type ExecutionResult =
  | { readonly kind: 'filled'; readonly orderId: string; readonly tag: string; readonly price: Paise; readonly fills: readonly Fill[] }
  /** Accepted by a broker that fills later: its fills arrive as the broker reports them (src/zerodha/order-tracker.ts). */
  | { readonly kind: 'placed'; readonly orderId: string; readonly tag: string; readonly price: Paise }
  | { readonly kind: 'failed'; readonly orderId: string | null; readonly code: FailureCode; readonly message: string };

/**
 * One interface for every broker: paper fills at once, Zerodha accepts and fills later. A client returns results; it never publishes
 * events (the execution actor is the only place they are made). Throwing means an outage.
 */
export interface ExecutionClient {
  readonly namespace: BrokerNamespace;
  /** True for a client that places real orders. */
  readonly live: boolean;
  execute(request: OrderRequest): ExecutionResult | Promise<ExecutionResult>;
}
