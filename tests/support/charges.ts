import type { FeeBreakdown } from '../../src/contracts/events.ts';
import type { FeeSchedule } from '../../src/execution/fees.ts';

/**
 * An independent calculation of Zerodha's charges, to check the fee model against: decimal arithmetic
 * in units of 10^-12 rupee (BigInt), from the rates as the schedules state them, the rules as Zerodha
 * states them (each charge rounded half up to the paisa, STT to the rupee, GST on the rounded brokerage
 * + transaction charges [+ IPFT] + SEBI fee). It shares no code with src/execution/fees.ts or money.ts.
 */
const SCALE = 10n ** 12n;
const PAISA = SCALE / 100n;
const RUPEE = SCALE;

/** A decimal number (rupees, or a percentage) as an integer count of 10^-12. */
function scaled(x: number): bigint {
  const [whole, frac = ''] = x.toFixed(12).split('.');
  return BigInt(whole!) * SCALE + BigInt(frac.padEnd(12, '0').slice(0, 12));
}

const roundUp = (v: bigint, unit: bigint) => ((v + unit / 2n) / unit) * unit;
const percentOf = (amount: bigint, percent: number) => (amount * scaled(percent)) / (100n * SCALE);
const perCroreOf = (amount: bigint, rupees: number) => (amount * scaled(rupees)) / (10_000_000n * SCALE);
const toPaise = (v: bigint) => Number(v / PAISA);

export function independentCharges(schedules: readonly FeeSchedule[], segment: 'equity_intraday' | 'futures', tradeDate: string, side: 'BUY' | 'SELL', quantity: number, price: number): { schedule: string; paise: Record<keyof FeeBreakdown, number> } {
  const s = schedules.filter((x) => x.segment === segment && x.effectiveFrom <= tradeDate).sort((a, b) => b.effectiveFrom.localeCompare(a.effectiveFrom))[0];
  if (!s || s.model !== 'broker') throw new Error(`no broker schedule for ${segment} on ${tradeDate}`);
  const turnover = scaled(price) * BigInt(quantity);
  const brokerage = [roundUp(percentOf(turnover, s.brokeragePercent), PAISA), scaled(s.brokerageCapRupees)].reduce((a, b) => (a < b ? a : b));
  const transaction = roundUp(percentOf(turnover, s.transactionPercent), PAISA);
  const ipft = roundUp(perCroreOf(turnover, s.ipftPerCrore), PAISA);
  const sebi = roundUp(perCroreOf(turnover, s.sebiPerCrore), PAISA);
  const stt = side === 'SELL' ? roundUp(percentOf(turnover, s.sttSellPercent), RUPEE) : 0n;
  const stamp = side === 'BUY' ? roundUp(percentOf(turnover, s.stampBuyPercent), PAISA) : 0n;
  const gst = roundUp(percentOf(brokerage + transaction + (s.gstOnIpft ? ipft : 0n) + sebi, s.gstPercent), PAISA);
  return { schedule: s.id, paise: { brokerage: toPaise(brokerage), stt: toPaise(stt), transaction: toPaise(transaction), ipft: toPaise(ipft), sebi: toPaise(sebi), gst: toPaise(gst), stamp: toPaise(stamp) } };
}
