import { mulDivRound, type Paise } from '../money.ts';

/**
 * One instrument's position, exact: `cost` is the signed cost basis of the open quantity in paise
 * (quantity x average price), so the average is cost / quantity and nothing is lost to rounding: when
 * part of a position closes, the cost removed is rounded to the paisa and the rest stays, so a round trip
 * realizes exactly sells minus buys.
 */
export interface Position {
  readonly quantity: number;
  readonly cost: Paise;
  readonly realized: Paise;
}

export const FLAT: Position = { quantity: 0, cost: 0, realized: 0 };

/** Applies a fill of `quantity` (positive buys, negative sells) at `price` paise. */
export function applyFill(p: Position, quantity: number, price: Paise): Position {
  if (quantity === 0) return p;
  if (p.quantity === 0 || Math.sign(quantity) === Math.sign(p.quantity)) {
    return { quantity: p.quantity + quantity, cost: p.cost + quantity * price, realized: p.realized };
  }
  const open = Math.abs(p.quantity);
  const closing = Math.min(Math.abs(quantity), open);
  const removed = mulDivRound(p.cost, closing, open);
  const realized = p.realized + Math.sign(p.quantity) * closing * price - removed;
  const rest = Math.abs(quantity) - closing;
  if (rest === 0) return { quantity: p.quantity + Math.sign(quantity) * closing, cost: p.cost - removed, realized };
  return { quantity: Math.sign(quantity) * rest, cost: Math.sign(quantity) * rest * price, realized };
}

/** Marked to `last`: value minus cost basis. */
export function unrealized(p: Position, last: Paise | undefined): Paise {
  if (p.quantity === 0 || last === undefined) return 0;
  return p.quantity * last - p.cost;
}

/** Average price in paise, rounded to the paisa for display; 0 when flat. */
export function averagePrice(p: Position): Paise {
  return p.quantity === 0 ? 0 : mulDivRound(p.cost, 1, p.quantity);
}
