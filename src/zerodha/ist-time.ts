import { IST_OFFSET_MS, parseIst } from '../market/market-hours.ts';

/**
 * Kite's times ("2022-03-03 09:24:25") are IST wall-clock times without a zone: read as UTC they would be
 * 5 h 30 min late, so they are parsed explicitly as IST. Null for an absent time; a malformed one throws.
 */
export function kiteTime(text: string | null | undefined): number | null {
  if (!text) return null;
  const ms = parseIst(text);
  if (Number.isNaN(ms)) throw new RangeError(`not a Kite time (YYYY-MM-DD HH:mm:ss, IST): '${text}'`);
  return ms;
}

/** When a Kite access token obtained at `ms` expires: 06:00 IST the next morning (before 06:00: that morning). */
export function sessionExpiry(ms: number): number {
  const ist = new Date(ms + IST_OFFSET_MS);
  const sixToday = Date.UTC(ist.getUTCFullYear(), ist.getUTCMonth(), ist.getUTCDate(), 6) - IST_OFFSET_MS;
  return ms < sixToday ? sixToday : sixToday + 86_400_000;
}
