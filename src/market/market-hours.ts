import { z } from 'zod';

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24-hour, IST)');

/** NSE's normal session by default; holidays are data (ISO dates), not code. */
export const MarketHours = z.strictObject({
  enabled: z.boolean(),
  open: HHMM,
  close: HHMM,
  holidays: z.array(z.iso.date()),
});
export type MarketHours = z.infer<typeof MarketHours>;

export const IST_OFFSET_MS = (5 * 60 + 30) * 60_000; // India has no daylight saving time

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

const DAY_MS = 86_400_000;
let cachedDay = Number.NaN;
let cachedDate = '';

/**
 * The IST calendar date of an instant, e.g. '2025-08-11'. Called per tick and per signal: the text of
 * the last day asked for is kept, so the common case is one division and a compare, not a Date.
 */
export function istDate(ts: number): string {
  const day = Math.floor((ts + IST_OFFSET_MS) / DAY_MS);
  if (day !== cachedDay) {
    cachedDay = day;
    cachedDate = new Date(day * DAY_MS).toISOString().slice(0, 10);
  }
  return cachedDate;
}

/** Minutes since midnight IST of an instant (arithmetic: India has one offset all year). */
export function istMinutes(ts: number): number {
  const inDay = (((ts + IST_OFFSET_MS) % DAY_MS) + DAY_MS) % DAY_MS;
  return Math.floor(inDay / 60_000);
}

/** 'HH:MM' (IST) as minutes since midnight. */
export function minutesOf(hhmm: string): number {
  return minutes(hhmm);
}

export { HHMM };

/** Is the market open at `ts` (ms since the epoch)? Weekends and listed holidays are closed. */
export function isMarketOpen(hours: MarketHours, ts: number): boolean {
  if (!hours.enabled) return true;
  const ist = new Date(ts + IST_OFFSET_MS);
  const day = ist.getUTCDay();
  if (day === 0 || day === 6) return false;
  if (hours.holidays.includes(ist.toISOString().slice(0, 10))) return false;
  const m = ist.getUTCHours() * 60 + ist.getUTCMinutes();
  return m >= minutes(hours.open) && m < minutes(hours.close);
}

/** IST wall time 'YYYY-MM-DD HH:MM[:SS]' -> ms since the epoch. */
export function parseIst(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
  if (!m) return Number.NaN;
  const [, y, mo, d, h, mi, s] = m;
  return Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +(s ?? 0)) - IST_OFFSET_MS;
}
