import type { Market } from './market.ts';
import type { KiteTrade } from './orders.ts';
import { clean } from './prices.ts';

/** A position as GET /portfolio/positions shows it (tests/fixtures/kite/positions.json). */
export interface KitePosition {
  tradingsymbol: string;
  exchange: string;
  instrument_token: number;
  product: string;
  quantity: number;
  overnight_quantity: number;
  multiplier: number;
  average_price: number;
  close_price: number;
  last_price: number;
  value: number;
  pnl: number;
  m2m: number;
  unrealised: number;
  realised: number;
  buy_quantity: number;
  buy_price: number;
  buy_value: number;
  buy_m2m: number;
  sell_quantity: number;
  sell_price: number;
  sell_value: number;
  sell_m2m: number;
  day_buy_quantity: number;
  day_buy_price: number;
  day_buy_value: number;
  day_sell_quantity: number;
  day_sell_price: number;
  day_sell_value: number;
}

/**
 * Positions from the day's trades, one per exchange + symbol + product. The server holds nothing
 * overnight, so net and day are the same list. As in Kite's sample, value = sell - buy value,
 * pnl = value + quantity x last price, all of it reported as unrealised (realised stays 0).
 */
export function positions(trades: readonly KiteTrade[], market: Market): { net: KitePosition[]; day: KitePosition[] } {
  const groups = new Map<string, KiteTrade[]>();
  for (const t of trades) {
    const key = `${t.exchange}:${t.tradingsymbol}:${t.product}`;
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  const net = [...groups.values()].map((g) => position(g, market));
  return { net, day: structuredClone(net) };
}

function position(trades: readonly KiteTrade[], market: Market): KitePosition {
  const first = trades[0]!;
  const side = (s: 'BUY' | 'SELL') => {
    const fills = trades.filter((t) => t.transaction_type === s);
    const quantity = fills.reduce((n, t) => n + t.quantity, 0);
    const value = clean(fills.reduce((v, t) => v + t.quantity * t.average_price, 0));
    return { quantity, value, price: quantity === 0 ? 0 : clean(value / quantity) };
  };
  const buy = side('BUY');
  const sell = side('SELL');
  const quantity = buy.quantity - sell.quantity;
  const state = market.state(first.instrument_token);
  const last = state?.last_price ?? 0;
  const value = clean(sell.value - buy.value);
  const pnl = clean(value + quantity * last);
  return {
    tradingsymbol: first.tradingsymbol,
    exchange: first.exchange,
    instrument_token: first.instrument_token,
    product: first.product,
    quantity,
    overnight_quantity: 0,
    multiplier: 1,
    average_price: quantity > 0 ? buy.price : quantity < 0 ? sell.price : 0,
    close_price: state?.close ?? 0,
    last_price: last,
    value,
    pnl,
    m2m: pnl,
    unrealised: pnl,
    realised: 0,
    buy_quantity: buy.quantity,
    buy_price: buy.price,
    buy_value: buy.value,
    buy_m2m: buy.value,
    sell_quantity: sell.quantity,
    sell_price: sell.price,
    sell_value: sell.value,
    sell_m2m: sell.value,
    day_buy_quantity: buy.quantity,
    day_buy_price: buy.price,
    day_buy_value: buy.value,
    day_sell_quantity: sell.quantity,
    day_sell_price: sell.price,
    day_sell_value: sell.value,
  };
}
