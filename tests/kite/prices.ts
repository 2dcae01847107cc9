/** Prices stay JS numbers (as Kite's JSON has them); these keep float noise out of what the server reports. */

/** Decimal places of a tick size: 0.05 -> 2, 0.0025 -> 4. */
export function decimalsOf(tick: number): number {
  const text = String(tick);
  return text.includes('.') ? text.length - text.indexOf('.') - 1 : 0;
}

/** The nearest multiple of tick, printed no finer than the tick itself. */
export function roundToTick(price: number, tick: number): number {
  return Number((Math.round(price / tick) * tick).toFixed(Math.max(2, decimalsOf(tick))));
}

export function isTickMultiple(price: number, tick: number): boolean {
  return Math.abs(price / tick - Math.round(price / tick)) < 1e-6;
}

/** Rounds a computed amount (an average price, a value) to micro-units, which prints as the decimal it is. */
export function clean(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
