/**
 * Money is integer paise inside the system; rupees (at most two decimals) only on the wire and on screen.
 * Rates are exact fractions, and products are taken with BigInt, so nothing accumulates float error.
 */
export type Paise = number;

export function toPaise(rupees: number): Paise {
  return Math.round(rupees * 100);
}

export function formatRupees(paise: Paise): string {
  const sign = paise < 0 ? '-' : '';
  const abs = Math.abs(paise);
  return `${sign}${Math.floor(abs / 100).toLocaleString('en-IN')}.${String(abs % 100).padStart(2, '0')}`;
}

/** round(a * b / c), half away from zero, exactly. */
export function mulDivRound(a: number, b: number, c: number): number {
  const n = BigInt(a) * BigInt(b);
  const d = BigInt(c);
  const q = n / d;
  const r = n % d;
  const neg = n < 0n !== d < 0n;
  const twice = (r < 0n ? -r : r) * 2n;
  const absD = d < 0n ? -d : d;
  return Number(twice >= absD ? (neg ? q - 1n : q + 1n) : q);
}

/** A percentage rate held exactly, as parts per 10^7 of a percent-unit (five decimals of a percent). */
export interface Rate {
  readonly perTenMillion: number;
  readonly percent: number;
}

const RATE_SCALE = 10_000_000; // 1 = 0.00001 %

export function percentRate(percent: number): Rate {
  const scaled = percent * 100_000;
  const whole = Math.round(scaled);
  if (Math.abs(scaled - whole) > 1e-6) throw new RangeError(`rate ${percent}% has more than five decimals`);
  return { perTenMillion: whole, percent };
}

/** `amount` paise at `rate`, rounded to the paisa (half away from zero). */
export function applyRate(amount: Paise, rate: Rate): Paise {
  return mulDivRound(amount, rate.perTenMillion, RATE_SCALE);
}

/** Rounds a price in paise to the instrument's tick, up or down. */
export function roundToTick(price: Paise, tick: Paise, direction: 'up' | 'down' | 'nearest'): Paise {
  const r = price % tick;
  if (r === 0) return price;
  if (direction === 'up') return price - r + tick;
  if (direction === 'down') return price - r;
  return r * 2 >= tick ? price - r + tick : price - r;
}
