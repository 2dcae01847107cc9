import { inputError } from './http.ts';
import { isIndex, type KiteInstrument } from './instruments.ts';
import type { Market } from './market.ts';
import { isTickMultiple } from './prices.ts';

export type Side = 'BUY' | 'SELL';
export type OrderType = 'MARKET' | 'LIMIT' | 'SL' | 'SL-M';
export type Validity = 'DAY' | 'IOC';

/** An order as placed, validated: MARKET and SL-M carry price 0, non-stops trigger_price 0. */
export interface OrderRequest {
  readonly variety: 'regular';
  readonly instrument: KiteInstrument;
  readonly transaction_type: Side;
  readonly quantity: number;
  readonly product: string;
  readonly order_type: OrderType;
  readonly price: number;
  readonly trigger_price: number;
  readonly validity: Validity;
  readonly disclosed_quantity: number;
  readonly market_protection: number;
  readonly tag: string | null;
}

/** The fields PUT /orders/:variety/:order_id may change. */
export type OrderTerms = Pick<OrderRequest, 'quantity' | 'order_type' | 'price' | 'trigger_price' | 'validity' | 'disclosed_quantity'>;

const KITE_VARIETIES = ['regular', 'amo', 'co', 'iceberg', 'auction'];
const ORDER_TYPES: readonly OrderType[] = ['MARKET', 'LIMIT', 'SL', 'SL-M'];
const PRODUCTS = ['CNC', 'MIS', 'NRML', 'MTF'];
const TAG = /^[A-Za-z0-9]{1,20}$/;
const NO_INSTRUMENT = 'The instrument you are placing an order for has either expired or does not exist.';

export const isStop = (t: OrderType): boolean => t === 'SL' || t === 'SL-M';
/** MARKET and SL-M execute at the touch; LIMIT and SL at their price or better. */
export const atMarket = (t: OrderType): boolean => t === 'MARKET' || t === 'SL-M';

/** kiteconnect sends an unset optional parameter as an empty string (qs turns null into `key=`). */
function param(p: URLSearchParams, name: string): string | undefined {
  const v = p.get(name);
  return v === null || v === '' ? undefined : v;
}

function number(p: URLSearchParams, name: string): number | undefined {
  const v = param(p, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw inputError(`Invalid \`${name}\`.`);
  return n;
}

function oneOf<T extends string>(p: URLSearchParams, name: string, allowed: readonly T[], fallback?: T): T {
  const v = param(p, name) ?? fallback;
  if (v === undefined || !allowed.includes(v as T)) throw inputError(`Invalid \`${name}\`.`);
  return v as T;
}

function validity(p: URLSearchParams, fallback?: Validity): Validity {
  if (param(p, 'validity') === 'TTL') throw inputError('TTL validity is not simulated by this server: use DAY or IOC.');
  return oneOf(p, 'validity', ['DAY', 'IOC'], fallback);
}

/** POST /orders/:variety, checked as Kite checks it; a failure is a 400 InputException. */
export function parsePlacement(variety: string, p: URLSearchParams, market: Market): OrderRequest {
  if (!KITE_VARIETIES.includes(variety)) throw inputError('Invalid `variety`.');
  if (variety !== 'regular') throw inputError(`\`${variety}\` orders are not simulated by this server: use \`regular\`.`);
  const exchange = param(p, 'exchange');
  const symbol = param(p, 'tradingsymbol');
  const instrument = exchange && symbol ? market.find(exchange, symbol) : undefined;
  if (!instrument || isIndex(instrument)) throw inputError(NO_INSTRUMENT);
  const tag = param(p, 'tag') ?? null;
  if (tag !== null && !TAG.test(tag)) throw inputError('Invalid `tag`: at most 20 alphanumeric characters.');
  const transaction_type = oneOf<Side>(p, 'transaction_type', ['BUY', 'SELL']);
  return {
    variety: 'regular',
    instrument,
    transaction_type,
    product: oneOf(p, 'product', PRODUCTS),
    market_protection: number(p, 'market_protection') ?? 0,
    tag,
    ...terms(p, instrument, market, {}, transaction_type),
  };
}

/** PUT /orders/:variety/:order_id: the changed terms, merged with the current ones and checked as a whole. */
export function parseModification(p: URLSearchParams, current: OrderTerms & { transaction_type: Side; filled_quantity: number }, instrument: KiteInstrument, market: Market): OrderTerms {
  const next = terms(p, instrument, market, current, current.transaction_type);
  if (isStop(next.order_type) !== isStop(current.order_type)) throw inputError(`Order type cannot be changed from ${current.order_type} to ${next.order_type}.`);
  if (next.quantity <= current.filled_quantity) throw inputError('Quantity should be more than the filled quantity.');
  return next;
}

function terms(p: URLSearchParams, instrument: KiteInstrument, market: Market, current: Partial<OrderTerms>, side: Side): OrderTerms {
  const order_type = oneOf(p, 'order_type', ORDER_TYPES, current.order_type);
  const quantity = number(p, 'quantity') ?? current.quantity;
  if (quantity === undefined || !Number.isInteger(quantity) || quantity <= 0) throw inputError('Invalid `quantity`.');
  if (quantity % instrument.lot_size !== 0) throw inputError(`Quantity should be a multiple of the lot size (${instrument.lot_size}).`);
  const disclosed_quantity = number(p, 'disclosed_quantity') ?? current.disclosed_quantity ?? 0;
  if (!Number.isInteger(disclosed_quantity) || disclosed_quantity < 0 || disclosed_quantity > quantity) throw inputError('Invalid `disclosed_quantity`.');
  const tick = instrument.tick_size;
  const priced = (name: 'price' | 'trigger_price'): number => {
    const v = number(p, name) ?? current[name];
    if (v === undefined || v <= 0) throw inputError(`Invalid \`${name}\`.`);
    if (!isTickMultiple(v, tick)) throw inputError(`Tick size for this script is ${tick}. Kindly enter ${name === 'price' ? 'price' : 'trigger price'} in the multiple of tick size for this script`);
    return v;
  };
  const price = atMarket(order_type) ? 0 : priced('price');
  const trigger_price = isStop(order_type) ? priced('trigger_price') : 0;
  if (order_type === 'SL' && (side === 'BUY' ? trigger_price > price : trigger_price < price)) {
    throw inputError(`Trigger price for stoploss ${side.toLowerCase()} orders should be ${side === 'BUY' ? 'lower' : 'higher'} than or equal to the price.`);
  }
  const last = market.state(instrument.instrument_token)?.last_price;
  if (isStop(order_type) && last !== undefined && (side === 'BUY' ? trigger_price <= last : trigger_price >= last)) {
    throw inputError(`Trigger price for stoploss ${side.toLowerCase()} orders should be ${side === 'BUY' ? 'higher' : 'lower'} than the last traded price.`);
  }
  return { quantity, order_type, price, trigger_price, validity: validity(p, current.validity ?? 'DAY'), disclosed_quantity };
}
