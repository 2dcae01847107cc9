/**
 * Money is integer paise inside the system; rupees (at most two decimals) only on the wire and on screen.
 * Rates are exact fractions, and products are taken with BigInt, so nothing accumulates float error.
 */
export type Paise = number;

/** Paise as rupees, for the wire and the screen. */
export function toRupees(paise: Paise): number {
  return paise / 100;
}

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

/**
 * A rate held exactly as a fraction of the amount it applies to. Built from the decimal a schedule
 * states (0.00297 %, Rs 10 per crore): the digits as written, never a binary float's approximation.
 */
export interface Rate {
  readonly num: bigint;
  readonly den: bigint;
}

/** A non-negative decimal as an exact fraction, from its shortest round-trip text (1e-7 included). */
function decimal(value: number): Rate {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`a rate must be a non-negative number, got ${value}`);
  const m = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(value));
  if (!m) throw new RangeError(`cannot read ${value} as a decimal`);
  const digits = `${m[1]}${m[2] ?? ''}`;
  const scale = (m[2]?.length ?? 0) - Number(m[3] ?? 0);
  return scale >= 0 ? { num: BigInt(digits), den: 10n ** BigInt(scale) } : { num: BigInt(digits) * 10n ** BigInt(-scale), den: 1n };
}

export function percentRate(percent: number): Rate {
  const d = decimal(percent);
  return { num: d.num, den: d.den * 100n };
}

/** Rupees per crore (Rs 1,00,00,000) of turnover: how SEBI and NSE's IPFT state theirs. */
export function perCroreRate(rupees: number): Rate {
  const d = decimal(rupees);
  return { num: d.num, den: d.den * 10_000_000n };
}

/**
 * `amount` paise at `rate`, rounded half up to a multiple of `unit` paise (1: the paisa; 100: the rupee,
 * as STT is). Amounts here are never negative.
 */
export function applyRate(amount: Paise, rate: Rate, unit: 1 | 100 = 1): Paise {
  const n = BigInt(amount) * rate.num;
  const d = rate.den * BigInt(unit);
  return Number(((2n * n + d) / (2n * d)) * BigInt(unit));
}

/** Rounds a price in paise to the instrument's tick, up or down. */
export function roundToTick(price: Paise, tick: Paise, direction: 'up' | 'down' | 'nearest'): Paise {
  const r = price % tick;
  if (r === 0) return price;
  if (direction === 'up') return price - r + tick;
  if (direction === 'down') return price - r;
  return r * 2 >= tick ? price - r + tick : price - r;
}
